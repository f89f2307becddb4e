;; hostile: a reactor without `alloc`; the host refuses it at load (ErrABI),
;; naming the missing export.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"request\":{\"ok\":true}}") ;; 23 bytes
  (func (export "agentshape_abi_v1"))
  (func (export "shape") (param i32 i32) (result i64)
    (i64.const 0x0000001000000017))
)
