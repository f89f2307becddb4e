;; hostile: a request nested 201 levels deep, past the host's limit of 128 (inputlimit.MaxDepth);
;; refused as ErrBadOutput before anything is built from it.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"request\":{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}")
  (func (export "agentshape_abi_v1"))
  ;; alloc: the envelope always goes to 1024 (grown into place when needed).
  (func (export "alloc") (param $size i32) (result i32)
    (local $end i32)
    (local.set $end (i32.add (i32.const 1024) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.sub (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1)) (memory.size)))
                        (i32.const -1))
              (then unreachable))))
    (i32.const 1024))
  (func (export "shape") (param i32 i32) (result i64)
    (i64.const 0x00000010000001a2)) ;; ptr 16, len 418
)
