"""An agent's session with `flowos-lsp mcp`, driven by the official MCP Python SDK (PyPI
`mcp`) over stdio: lists the tools, runs a query, reads a task, proposes a move and an edit,
and tries a move the rules refuse. Prints one JSON object with what it saw, for
tests/mcp.rs to check.

usage: python3 agent_session.py <flowos-lsp binary> <workspace folder> <task id> <action>
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def structured(result):
    """The tool's structured content, and whether it reported an error."""
    return {"is_error": bool(result.is_error), "value": result.structured_content}


async def session(binary, folder, task, action):
    # The environment as given (FLOWOS_NOW fixes the clock), not the SDK's safe subset.
    server = StdioServerParameters(command=binary, args=["mcp", folder], env=dict(os.environ))
    seen = {}
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as client:
            init = await client.initialize()
            seen["server"] = init.server_info.name
            tools = await client.list_tools()
            seen["tools"] = sorted(tool.name for tool in tools.tools)
            seen["schemas"] = {
                tool.name: tool.input_schema for tool in tools.tools
            }
            seen["query"] = structured(
                await client.call_tool("query", {"query": "stage", "arg": "current"})
            )
            seen["get_task"] = structured(await client.call_tool("get_task", {"id": task}))
            seen["propose_move"] = structured(
                await client.call_tool(
                    "propose_move",
                    {"id": task, "action": action, "by": "agent-7", "note": "criteria met"},
                )
            )
            seen["refused"] = structured(
                await client.call_tool(
                    "propose_move", {"id": task, "action": "close", "by": "agent-7"}
                )
            )
            seen["unknown_task"] = structured(
                await client.call_tool(
                    "propose_move", {"id": "TASK-0999", "action": "start", "by": "agent-7"}
                )
            )
            resources = await client.list_resources()
            seen["resources"] = sorted(resource.name for resource in resources.resources)
            card = next(r for r in resources.resources if r.name.endswith(".task.md"))
            read_back = await client.read_resource(card.uri)
            seen["resource_text_starts"] = read_back.contents[0].text[:3]
            seen["pending"] = structured(
                await client.call_tool("query", {"query": "proposals"})
            )
    print(json.dumps(seen))


if __name__ == "__main__":
    asyncio.run(session(*sys.argv[1:5]))
