;;; e2e.el --- drives flowos.el in a headless Emacs (run by tests/emacs.rs)  -*- lexical-binding: t; -*-

;; Records what the editor saw as JSON in $FLOWOS_E2E_OUT; the Rust test makes the
;; assertions.  Run as: emacs --batch -q -l INIT -l this file, INIT being the README's
;; snippet (which loads flowos.el and adds eglot-ensure to the modes' hooks).

(require 'json)
(require 'xref)
(require 'markdown-mode)

(defvar e2e-tasks (expand-file-name ".work/tasks" (getenv "FLOWOS_E2E_WORKSPACE")))
(defvar e2e-timeout (/ (string-to-number (or (getenv "FLOWOS_E2E_TIMEOUT_MS") "20000")) 1000.0))
(defvar e2e-results nil)

(setq flowos-server-command (list (getenv "FLOWOS_LSP_BIN") "--stdio"))
(setq eglot-sync-connect t)

(defun e2e-put (key value) (push (cons key value) e2e-results))

(defun e2e-card (stage number)
  (format "%s/%s/TASK-%04d-job/%04d-job.task.md" e2e-tasks stage number number))

(defun e2e-wait (what predicate)
  (let ((deadline (+ (float-time) e2e-timeout)))
    (while (not (funcall predicate))
      (when (> (float-time) deadline) (error "Timed out waiting for %s" what))
      (accept-process-output nil 0.05))))

;; The server tells where the card is in a message (eglot 1.9) or opens it (showDocument);
;; either arrives beside the command's answer, not before it, so wait for it.
(defun e2e-wait-shown (card)
  (e2e-wait (format "%s shown or named" card)
            (lambda ()
              (or (string-suffix-p card (or (buffer-file-name (window-buffer (selected-window))) ""))
                  (with-current-buffer "*Messages*"
                    (save-excursion
                      (goto-char (point-min))
                      (search-forward "the card is at " nil t)
                      (search-forward card nil t)))))))

(defun e2e-open (file)
  (find-file file)
  ;; `eglot-ensure' starts the server from the command loop; batch mode has none.
  (unless (eglot-current-server)
    (apply #'eglot (eglot--guess-contact)))
  (current-buffer))

(defun e2e-step (name body)
  (let ((started (float-time)))
    (condition-case err
        (progn (funcall body) (e2e-put (intern (format "%s_ms" name))
                                       (round (* 1000 (- (float-time) started)))))
      (error (e2e-put (intern (format "%s_error" name)) (error-message-string err))))))

;; a. The broken dependency's diagnostic, through flymake.
(e2e-step "diagnostics"
  (lambda ()
    (e2e-open (e2e-card "backlog" 4))
    (e2e-put 'project_root (project-root (project-current)))
    (e2e-put 'emacs_version emacs-version)
    (e2e-put 'eglot_library (locate-library "eglot"))
    ;; eglot 1.9 (Emacs 28) does not advertise window/showDocument; eglot 1.17 (Emacs 30) does.
    (e2e-put 'show_document
             (if (plist-get (plist-get (eglot-client-capabilities (eglot-current-server)) :window)
                            :showDocument)
                 t :json-false))
    (e2e-put 'mode (symbol-name major-mode))
    (e2e-wait "diagnostics" (lambda () (flymake-diagnostics)))
    (e2e-put 'diagnostics
             (vconcat (mapcar (lambda (d)
                                (list (cons 'message (flymake-diagnostic-text d))
                                      (cons 'line (1- (line-number-at-pos (flymake-diagnostic-beg d))))))
                              (flymake-diagnostics))))))

;; A ledger: its mode, and the server already running for the tree takes it.
(e2e-step "ledger"
  (lambda ()
    (find-file (format "%s/backlog/TASK-0004-job/0004.ledger.jsonl" e2e-tasks))
    (e2e-put 'ledger_mode (symbol-name major-mode))
    (e2e-put 'ledger_managed (if (eglot-current-server) t :json-false))))

;; b. Definition on the dependency's ID: the jump.
(e2e-step "definition"
  (lambda ()
    (e2e-open (e2e-card "next" 1))
    (goto-char (point-min))
    (search-forward "TASK-0002")
    (backward-char 3)
    (call-interactively #'xref-find-definitions)
    (e2e-put 'definition (buffer-file-name))))

;; c. Completion right after `depends_on: ['.
(e2e-step "completion"
  (lambda ()
    (e2e-open (e2e-card "inbox" 5))
    (goto-char (point-min))
    (search-forward "depends_on: [")
    (let* ((capf (eglot-completion-at-point))
           (table (nth 2 capf)))
      (e2e-put 'completion (vconcat (all-completions "" table))))))

;; d. `flowos-transition' picking "Complete TASK-0003".
(e2e-step "transition"
  (lambda ()
    (e2e-open (e2e-card "current" 3))
    (goto-char (point-min))
    (search-forward "task_name")
    (let (offered)
      (cl-letf (((symbol-function 'completing-read)
                 (lambda (_prompt collection &rest _)
                   (setq offered (all-completions "" collection))
                   (cl-find-if (lambda (title) (string-prefix-p "Complete TASK-0003" title))
                               offered))))
        (flowos-transition))
      (e2e-wait-shown "TASK-0003-job/0003-job.task.md")
      (e2e-put 'offered (vconcat offered))
      ;; The buffer the editor shows afterwards: the moved card when eglot took showDocument.
      (e2e-put 'transition_buffer (buffer-file-name (window-buffer (selected-window)))))))

;; e. `flowos-new-task'.
(e2e-step "new_task"
  (lambda ()
    (e2e-open (e2e-card "inbox" 5))
    (flowos-new-task "Written from Emacs")))

;; f. `eglot-rename' on the card's task_name renames the task on disk; prepareRename on
;; its ID answers why not (IDs are permanent).
(e2e-step "rename"
  (lambda ()
    (e2e-open (e2e-card "backlog" 4))
    (goto-char (point-min))
    (search-forward "task_id: \"00")
    (e2e-put 'rename_id_refusal
             (condition-case err
                 (progn (jsonrpc-request (eglot-current-server) :textDocument/prepareRename
                                         (eglot--TextDocumentPositionParams))
                        "no error")
               (jsonrpc-error (alist-get 'jsonrpc-error-message (cdr err)))))
    (goto-char (point-min))
    (search-forward "task_name: \"Jo")
    (eglot-rename "Renamed in Emacs")
    (e2e-wait-shown "TASK-0004-renamed-in-emacs/0004-renamed-in-emacs.task.md")
    (e2e-put 'rename_buffer (buffer-file-name (window-buffer (selected-window))))
    (e2e-put 'renamed (if (file-exists-p (format "%s/backlog/TASK-0004-renamed-in-emacs/0004-renamed-in-emacs.task.md" e2e-tasks)) t :json-false))))

(with-temp-file (getenv "FLOWOS_E2E_OUT")
  (insert (json-encode e2e-results)))
(kill-emacs 0)
