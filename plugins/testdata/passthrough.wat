;; passthrough: the minimal ABI v1 reactor worked through in plugins/ABI.md.
;; It returns the request it was given, unchanged, and logs one line.
(module
  ;; The only host function a plugin may import besides WASI.
  (import "agentshape" "log" (func $log (param i32 i32 i32)))

  ;; One page to start; alloc grows it when an envelope needs more.
  (memory (export "memory") 1)

  ;; Bytes 0..1023 hold constants; the heap starts at 1024.
  (data (i32.const 16) "{\"request\":")          ;; 11 bytes
  (data (i32.const 32) "passthrough: returning the request unchanged")  ;; 44 bytes
  (global $heap (mut i32) (i32.const 1024))

  ;; ABI v1 marker: its presence is the declaration.
  (func (export "agentshape_abi_v1"))

  ;; alloc(size) -> ptr. The host calls it once per call, right before shape,
  ;; so the plugin restarts its bump heap here: everything from the previous
  ;; call (input and output) is free again.
  (func $alloc (export "alloc") (param $size i32) (result i32)
    (global.set $heap (i32.const 1024))
    (call $reserve (local.get $size)))

  ;; reserve(n) -> ptr: bump-allocate n bytes, growing memory when needed.
  (func $reserve (param $n i32) (result i32)
    (local $p i32) (local $end i32)
    (local.set $p (global.get $heap))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (memory.grow
                      (i32.sub (i32.add (i32.shr_u (local.get $end) (i32.const 16)) (i32.const 1))
                               (memory.size)))
                    (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $p))

  ;; skipString(i, end) -> index just past the closing quote of the string at i.
  (func $skipString (param $i i32) (param $end i32) (result i32)
    (local $c i32)
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.eq (local.get $c) (i32.const 92)) ;; backslash: skip the escaped byte
          (then (local.set $i (i32.add (local.get $i) (i32.const 2))) (br $next)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $done (i32.eq (local.get $c) (i32.const 34)))
        (br $next)))
    (local.get $i))

  ;; skipObject(i, end) -> index just past the object (or array) starting at i.
  (func $skipObject (param $i i32) (param $end i32) (result i32)
    (local $c i32) (local $depth i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.eq (local.get $c) (i32.const 34))
          (then (local.set $i (call $skipString (local.get $i) (local.get $end))) (br $next)))
        (if (i32.or (i32.eq (local.get $c) (i32.const 123)) (i32.eq (local.get $c) (i32.const 91)))
          (then (local.set $depth (i32.add (local.get $depth) (i32.const 1)))))
        (if (i32.or (i32.eq (local.get $c) (i32.const 125)) (i32.eq (local.get $c) (i32.const 93)))
          (then (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $done (i32.eqz (local.get $depth)))
        (br $next)))
    (local.get $i))

  ;; isRequestKey(i) -> 1 when the bytes at i are "request": (quote included).
  (func $isRequestKey (param $i i32) (result i32)
    (i32.and
      (i64.eq (i64.load (local.get $i)) (i64.const 0x7473657571657222))  ;; "request little-endian
      (i32.eq (i32.load16_u (i32.add (local.get $i) (i32.const 8))) (i32.const 0x3a22)))) ;; ":

  ;; shape(ptr, len) -> (out_ptr << 32) | out_len
  (func (export "shape") (param $ptr i32) (param $len i32) (result i64)
    (local $i i32) (local $end i32) (local $c i32) (local $depth i32)
    (local $vstart i32) (local $vend i32) (local $out i32) (local $n i32)
    (call $log (i32.const 1) (i32.const 32) (i32.const 44))
    (local.set $i (local.get $ptr))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    ;; Find the top-level "request": key (depth 1 of the envelope object).
    (block $found
      (loop $scan
        (if (i32.ge_u (local.get $i) (local.get $end)) (then unreachable)) ;; no request: a host bug
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.eq (local.get $c) (i32.const 34))
          (then
            (if (i32.and (i32.eq (local.get $depth) (i32.const 1))
                         (i32.le_u (i32.add (local.get $i) (i32.const 10)) (local.get $end)))
              (then (br_if $found (call $isRequestKey (local.get $i)))))
            (local.set $i (call $skipString (local.get $i) (local.get $end)))
            (br $scan)))
        (if (i32.or (i32.eq (local.get $c) (i32.const 123)) (i32.eq (local.get $c) (i32.const 91)))
          (then (local.set $depth (i32.add (local.get $depth) (i32.const 1)))))
        (if (i32.or (i32.eq (local.get $c) (i32.const 125)) (i32.eq (local.get $c) (i32.const 93)))
          (then (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    ;; The value starts after "request": and optional whitespace.
    (local.set $vstart (i32.add (local.get $i) (i32.const 10)))
    (block $ws
      (loop $skip
        (br_if $ws (i32.ge_u (local.get $vstart) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $vstart)))
        (br_if $ws (i32.gt_u (local.get $c) (i32.const 32)))
        (local.set $vstart (i32.add (local.get $vstart) (i32.const 1)))
        (br $skip)))
    (local.set $vend (call $skipObject (local.get $vstart) (local.get $end)))
    ;; Output: {"request": <value> }
    (local.set $n (i32.add (i32.sub (local.get $vend) (local.get $vstart)) (i32.const 12)))
    (local.set $out (call $reserve (local.get $n)))
    (memory.copy (local.get $out) (i32.const 16) (i32.const 11))
    (memory.copy (i32.add (local.get $out) (i32.const 11)) (local.get $vstart)
                 (i32.sub (local.get $vend) (local.get $vstart)))
    (i32.store8 (i32.add (local.get $out) (i32.sub (local.get $n) (i32.const 1))) (i32.const 125))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (local.get $n))))
)
