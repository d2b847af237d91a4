;;; Loads the C extension and exports its primitives (named %...).
(define-module (deploy-ledger core extension)
  #:use-module (deploy-ledger config)
  #:use-module (deploy-ledger core errors))

;; At expansion time too, so that `guild compile' sees the primitives.
(eval-when (expand load eval)
  (catch #t
    (lambda ()
      (load-extension %deploy-ledger-extension "dl_guile_init"))
    (lambda _
      ;; An install outside Guile's own prefix: use the absolute path.
      (load-extension (string-append %deploy-ledger-installed-extension-dir
                                     "/" %deploy-ledger-extension)
                      "dl_guile_init")))
  (module-export-all! (current-module)))
