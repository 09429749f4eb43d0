;;; flowos.el --- flowos-lsp through eglot  -*- lexical-binding: t; -*-

;; Works with Emacs 29+ (eglot and project.el built in) and with Emacs 28 + eglot from
;; GNU ELPA (Debian: elpa-eglot).  Task cards, contexts and INDEX.md files are markdown:
;; install markdown-mode (Debian: elpa-markdown-mode) for them.  Load this file from your
;; init file; `M-x eglot' (or `eglot-ensure' in a hook) in a card, a ledger or an INDEX.md
;; starts flowos-lsp for the tree the file belongs to.

(require 'cl-lib)
(require 'project)
(require 'eglot)
(require 'js)

(defgroup flowos nil "FlowOS task trees through flowos-lsp." :group 'tools)

(defcustom flowos-server-command '("flowos-lsp" "--stdio")
  "The command that starts flowos-lsp."
  :type '(repeat string))

;; Ledgers are JSON lines; a mode of their own, so that no JSON server claims them
;; (Emacs 28 has no `js-json-mode').
(define-derived-mode flowos-ledger-mode js-mode "FlowOS-Ledger"
  "Major mode for FlowOS ledgers (`*.ledger.jsonl', JSON lines).")
(add-to-list 'auto-mode-alist '("\\.ledger\\.jsonl\\'" . flowos-ledger-mode))

;; The server command line is looked up when eglot starts, so a changed
;; `flowos-server-command' takes effect at the next `M-x eglot'.
(add-to-list 'eglot-server-programs
             `((markdown-mode gfm-mode (flowos-ledger-mode :language-id "json"))
               . ,(lambda (&rest _) flowos-server-command)))

;; eglot runs one server per project, and project.el's project is the version-control
;; root; outside version control it would be the card's own folder, one server per task
;; folder.  The folder holding `.work/tasks' is the project, with or without version
;; control.
(defun flowos-project-find (dir)
  "The FlowOS project of DIR: the nearest folder above it that holds `.work/tasks'."
  (when-let ((root (locate-dominating-file
                    dir (lambda (folder)
                          (file-directory-p (expand-file-name ".work/tasks" folder))))))
    (cons 'flowos (file-name-as-directory (expand-file-name root)))))

(cl-defmethod project-root ((project (head flowos)))
  (cdr project))

(add-hook 'project-find-functions #'flowos-project-find -50)

(defun flowos--execute (server action)
  "Run code action or command ACTION (a plist from the server) on SERVER."
  (if (fboundp 'eglot-execute)          ; eglot 1.16+ (Emacs 30)
      (eglot-execute server action)
    (let ((edit (plist-get action :edit))
          (command (plist-get action :command)))
      (when edit (eglot--apply-workspace-edit edit))
      (cond ((stringp command)          ; ACTION is itself a Command
             (eglot-execute-command server (intern command) (plist-get action :arguments)))
            (command
             (eglot-execute-command server (intern (plist-get command :command))
                                    (plist-get command :arguments)))))))

(defun flowos-transition ()
  "Move the task at point to another stage: pick one of its transitions.
Transitions that cannot run now are listed with their reason instead."
  (interactive)
  (let* ((server (eglot--current-server-or-lose))
         (actions (eglot-code-actions (point) (point) "refactor.rewrite.flowos"))
         (runnable (cl-remove-if (lambda (a) (plist-get a :disabled)) actions))
         (blocked (cl-remove-if-not (lambda (a) (plist-get a :disabled)) actions)))
    (when blocked
      (message "Not now: %s"
               (mapconcat (lambda (a)
                            (format "%s (%s)" (plist-get a :title)
                                    (plist-get (plist-get a :disabled) :reason)))
                          blocked "; ")))
    (unless runnable
      (user-error "No transition can run here%s" (if blocked "; see *Messages*" "")))
    (let* ((titles (mapcar (lambda (a) (cons (plist-get a :title) a)) runnable))
           (title (completing-read "Transition: " titles nil t)))
      (flowos--execute server (cdr (assoc title titles))))))

(defun flowos-new-task (name)
  "Create a task called NAME in the inbox of this tree (`flowos.newTask')."
  (interactive "sNew task name: ")
  (flowos--execute (eglot--current-server-or-lose)
                   (list :command "flowos.newTask" :arguments (vector (list :name name)))))

;; Answered to the server's `workspace/configuration' (section `flowos').  Set your own
;; in your init file after loading this one.
(setq-default eglot-workspace-configuration
              '(:flowos (:user "@you" :rules (:slo-exceeded "off"))))

(provide 'flowos)
;;; flowos.el ends here
