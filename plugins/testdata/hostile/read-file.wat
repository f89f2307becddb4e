;; hostile: tries to read a file through WASI: fd_prestat_get(3) (the first
;; preopen), path_open(3, "etc/passwd") and fd_read(3). In the sandbox there are
;; no preopens, so every call fails. The plugin reports what it saw:
;; {"error":{"code":"denied","message":"fd_prestat_get=NN path_open=NN fd_read=NN"}}
;; (NN = WASI errno); if any call succeeded it answers {"request":{"leaked":true}}.
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"error\":{\"code\":\"denied\",\"message\":\"fd_prestat_get=NN path_open=NN fd_read=NN\"}}")
  (data (i32.const 144) "{\"request\":{\"leaked\":true}}")
  (data (i32.const 600) "etc/passwd")
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
  ;; put2(addr, v): v as two decimal digits at addr.
  (func $put2 (param $a i32) (param $v i32)
    (i32.store8 (local.get $a) (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $v) (i32.const 10)) (i32.const 10))))
    (i32.store8 (i32.add (local.get $a) (i32.const 1)) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10)))))
  (func (export "shape") (param i32 i32) (result i64)
    (local $e1 i32) (local $e2 i32) (local $e3 i32)
    (local.set $e1 (call $prestat (i32.const 3) (i32.const 512)))
    ;; path_open(dirfd 3, lookup 0, path, len 10, oflags 0, rights base, inheriting, fdflags 0, &fd)
    (local.set $e2 (call $open (i32.const 3) (i32.const 0) (i32.const 600) (i32.const 10) (i32.const 0)
                               (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 520)))
    ;; fd_read(3, iovs at 528 -> 640..703)
    (i32.store (i32.const 528) (i32.const 640)) (i32.store (i32.const 532) (i32.const 64))
    (local.set $e3 (call $read (i32.const 3) (i32.const 528) (i32.const 1) (i32.const 536)))
    (if (i32.or (i32.or (i32.eqz (local.get $e1)) (i32.eqz (local.get $e2))) (i32.eqz (local.get $e3)))
      (then (return (i64.const 0x000000900000001b)))) ;; {"request":{"leaked":true}} at 144, 27 bytes
    (call $put2 (i32.const 68) (local.get $e1))
    (call $put2 (i32.const 81) (local.get $e2))
    (call $put2 (i32.const 92) (local.get $e3))
    (i64.const 0x0000001000000051)) ;; output at 16, 81 bytes
)
