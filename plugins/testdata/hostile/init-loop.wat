;; hostile: _initialize never returns. Loading the reactor (which creates its
;; first instance and runs _initialize) must end in ErrTimeout at the
;; instantiate phase.
(module
  (memory (export "memory") 1)
  (func (export "_initialize")
    (loop $forever (br $forever)))
  (func (export "agentshape_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "shape") (param i32 i32) (result i64) (i64.const 0))
)
