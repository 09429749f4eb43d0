;;; flowos-lsp.el --- flowos-lsp through eglot (Emacs 29+)  -*- lexical-binding: t; -*-

;; Put this in your init file.  `M-x eglot' in a task card, a ledger or an
;; INDEX.md then starts flowos-lsp for the tree the file belongs to.

(require 'project)
(require 'eglot)

;; A folder holding `.work' is a project root, with or without version control, so eglot
;; starts one server for the whole tree.  Without it, outside version control, eglot takes
;; the file's own folder (a task folder) as the project: flowos-lsp still finds the tree
;; above it, but every task folder gets a server of its own.
(setq project-vc-extra-root-markers '(".work"))

;; Ledgers are JSON lines.
(add-to-list 'auto-mode-alist '("\\.ledger\\.jsonl\\'" . js-json-mode))

(add-to-list 'eglot-server-programs
             '((markdown-mode gfm-mode js-json-mode) . ("flowos-lsp" "--stdio")))

;; Answered to the server's `workspace/configuration' (section `flowos').
(setq-default eglot-workspace-configuration
              '(:flowos (:user "@you" :rules (:slo-exceeded "off"))))

;;; flowos-lsp.el ends here
