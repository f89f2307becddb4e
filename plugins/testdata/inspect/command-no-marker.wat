;; A WASI command without the ABI marker: accepted, with warning no_abi_marker.
;; It reads nothing and writes nothing (a call fails with bad output).
(module
  (memory (export "memory") 1)
  (func (export "_start")))
