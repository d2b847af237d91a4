;;; (deploy-ledger json): the writer behind every --json and report.
(use-modules (tap)
             (srfi srfi-64)
             (deploy-ledger json))

(test-begin "json")

(test-equal "plain string" "\"checkout v2\"" (json->string "checkout v2"))
(test-equal "quotes and backslashes escaped"
  "\"say \\\"hi\\\" \\\\o/\"" (json->string "say \"hi\" \\o/"))
(test-equal "newline, return and tab by name"
  "\"a\\nb\\rc\\td\"" (json->string "a\nb\rc\td"))
(test-equal "other control characters as \\u00XX"
  "\"\\u0001x\\u001f\"" (json->string (string (integer->char 1) #\x (integer->char 31))))
(test-equal "an escape at each end"
  "\"\\\"middle\\\"\"" (json->string "\"middle\""))
(test-equal "non-ASCII text passes through" "\"Zürich → 東京\"" (json->string "Zürich → 東京"))
(test-equal "empty string" "\"\"" (json->string ""))
(test-equal "integers" "[0,-7,12345678901234567890]" (json->string #(0 -7 12345678901234567890)))
(test-equal "an integral inexact number without a fraction" "3" (json->string 3.0))
(test-equal "fractions as decimals" "0.5" (json->string 1/2))
(test-equal "NaN and infinities as null" "[null,null]" (json->string (vector (nan) (inf))))
(test-equal "true, null and false" "[true,null,false]" (json->string (vector #t #f 'false)))
(test-equal "symbols as strings" "\"in-progress\"" (json->string 'in-progress))
(test-equal "an alist is an object in order"
  "{\"b\":1,\"a\":[\"x\"]}" (json->string '((b . 1) (a . ("x")))))
(test-equal "keys are escaped too" "{\"a\\\"b\":1}" (json->string '(("a\"b" . 1))))
(let ((h (make-hash-table)))
  (hash-set! h "zone" "b")
  (hash-set! h "app" "a")
  (test-equal "a hash table is an object with sorted keys"
    "{\"app\":\"a\",\"zone\":\"b\"}" (json->string h)))
(test-equal "empty array and empty object" "[[],{}]" (json->string (vector #() (make-hash-table))))

(test-end "json")
