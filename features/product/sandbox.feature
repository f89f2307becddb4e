@product @agentshape-decision
Feature: Plugins run in a sandbox, within limits
  Plugins are WebAssembly modules. They get no files, no network, no environment and no arguments,
  unless the pipeline manifest grants one plugin named environment variables or read-only
  directories; the clock and randomness come from agentshape. Each call has a time limit, a memory limit and an
  output size limit, and may have a fuel budget. A plugin that breaks a limit or the ABI is stopped with an error that names the
  plugin and the cause, and the run produces no request.

  Background:
    Given the end user's context:
      """json
      {"agentId": "0XxAA0000000001AAA", "org": {"myDomain": "acme"}, "user": {"locale": "en_US"}}
      """

  Rule: Each call is bounded in time, memory and output size

    @sandbox:limits
    Scenario Outline: A plugin that <misbehaves> is stopped: <reason>
      Given a pipeline of the plugins "session-key, testdata/hostile/<plugin>"
      When the request is shaped
      Then shaping fails because of the plugin "<plugin>"
      And the failure is a "<reason>" error
      And no shaped request is produced

      Examples:
        | misbehaves                 | plugin          | reason           |
        | loops forever              | infinite-loop   | timeout          |
        | keeps growing its memory   | memory-growth   | memory limit     |
        | answers with a huge output | oversize-output | output too large |
        | traps                      | trap            | trap             |

  Rule: Fuel is a budget that passes or fails the same on every machine

    Fuel counts the loop iterations and recursive calls a plugin makes (plugins/ABI.md §8). Unlike
    a timeout, whose verdict on a busy CI runner depends on the load, the same plugin and input cost
    the same fuel on every machine and run, so a team can budget its plugin in the manifest
    (limits.fuel) and the conformance gate reports each plugin's fuel. A Go plugin's runtime seeds
    its maps from the randomness it reads at start-up, so the same input costs the same fuel under
    the same seed; the gate measures it under several seeds and recommends a budget with headroom
    for the difference (conformance-gate.feature, @gate:fuel). The timeout stays as the backstop.

    @sandbox:fuel
    Scenario: A plugin that loops forever is stopped by its fuel budget, whatever its timeout
      Given a pipeline of the plugins "session-key, testdata/hostile/infinite-loop"
      And "infinite-loop" has a fuel budget of 1000000 and a timeout of 1h
      When the request is shaped
      Then shaping fails because of the plugin "infinite-loop"
      And the failure is a "fuel exhausted" error
      And no shaped request is produced

    @sandbox:fuel
    Scenario: The same input costs the same fuel on every run
      Given a pipeline of the plugins "endpoint"
      And deterministic mode with seed 7
      When the request is shaped on two fresh runtimes, counting fuel
      Then both runs used the same fuel, more than none

  Rule: A plugin sees no files, no environment and no network

    @sandbox:isolation
    Scenario Outline: A plugin that tries to <tries> is denied
      Given a pipeline of the plugins "testdata/hostile/<plugin>"
      When the request is shaped
      Then shaping fails because the plugin "<plugin>" refused
      And the error message contains "denied"
      And no shaped request is produced

      Examples:
        | tries                                    | plugin      |
        | read a file                              | read-file   |
        | read environment variables and arguments | read-env    |
        | open a socket                            | open-socket |

  Rule: A manifest can grant one plugin named variables and read-only directories, nothing more

    @sandbox:grants
    Scenario: A granted variable and directory are visible to the plugin, read-only
      Given a pipeline of the plugins "testdata/grants/reader"
      And "reader" is granted the environment variable "GRANT_TEST_VALUE" set to "salt-42"
      And "reader" is granted a read-only directory at "/data" holding "value.txt" with "gold"
      When the request is shaped
      Then the shaped request has the variable "env" with value "salt-42"
      And the shaped request has the variable "file" with value "gold"
      And the shaped request has the variable "write" with value "refused"
      And the shaped request has the variable "escape" with value "refused"

    @sandbox:grants
    Scenario: A link in a granted directory cannot lead out of it
      A granted directory is confined the way Go's os.Root confines one: a symbolic link or a ".."
      that resolves outside the mount is unreadable, so a link committed to a plugin team's
      repository (say, to /proc/self/environ) cannot hand the plugin the host's secrets.
      Links that stay inside the mount keep working.

      Given a pipeline of the plugins "testdata/grants/reader"
      And "reader" is granted a read-only directory at "/data" holding "value.txt" with "gold"
      And the directory granted to "reader" at "/data" also holds a link "leak" to a file outside it holding "host-secret"
      And the directory granted to "reader" at "/data" also holds a link "inner.txt" to "value.txt" inside it
      When the request is shaped
      Then the shaped request has the variable "leak" with value "(unreadable)"
      And the shaped request has the variable "dotdot" with value "(unreadable)"
      And the shaped request has the variable "inner" with value "gold"
      And the shaped request has the variable "file" with value "gold"

    @sandbox:grants
    Scenario: Without a grant the same plugin sees nothing of the host
      Given the environment variable "GRANT_TEST_VALUE" is set to "salt-42"
      And a pipeline of the plugins "testdata/grants/reader"
      When the request is shaped
      Then the shaped request has the variable "env" with value "(unset)"
      And the shaped request has the variable "file" with value "(unreadable)"

    @sandbox:grants
    Scenario: A Salesforce credential can never be granted
      Given a pipeline of the plugins "testdata/grants/reader"
      And "reader" is granted the environment variable "SF_CLIENT_SECRET" set to "do-not-leak"
      When the pipeline is loaded
      Then loading fails because of the plugin "reader"
      And the failure is a "grant refused" error
      And the error message does not contain "do-not-leak"

  Rule: Only ABI v1 modules with allowed imports are loaded

    @sandbox:abi
    Scenario Outline: A module that <misbehaves> is refused at load: <reason>
      Given a pipeline of the plugins "testdata/hostile/<plugin>"
      When the pipeline is loaded
      Then loading fails because of the plugin "<plugin>"
      And the failure is a "<reason>" error

      Examples:
        | misbehaves                         | plugin             | reason |
        | lacks the agentshape_abi_v1 marker | missing-abi-marker | ABI    |
        | imports a function the host lacks  | unknown-import     | ABI    |

  Rule: A plugin pinned by sha256 is checked before it is compiled

    @sandbox:pin
    Scenario: A plugin whose file does not match its pinned sha256 is refused
      Given a pipeline of the plugins "endpoint" where "endpoint" is pinned to the wrong sha256
      When the pipeline is loaded
      Then loading fails because of the plugin "endpoint"
      And the failure is a "hash mismatch" error

  Rule: Deterministic mode makes a run repeatable

    @sandbox:deterministic
    Scenario: The same input and seed give the same request
      Given a pipeline of the plugins "session-key, endpoint, context-vars"
      And deterministic mode with seed 7
      When the request is shaped twice
      Then both shaped requests are identical
