@product @agentshape-decision
Feature: The conformance gate for plugin teams
  A team that writes a plugin runs `agentshape conformance` in its CI. The gate runs the
  plugin-contract features (plugincontract/), the ABI checks, generated cases and a Start Session
  on the embedded emulator. It exits 0 when the plugin keeps the contract and 1 when it does not,
  naming the rule, the plugin and the command that reproduces the failure. Every check that involves
  an org runs against the team's org (--org, in the emulator-org format) or, without it, the
  built-in demo org, which the output names.

  Rule: A plugin that keeps the contract passes

    @gate:pass
    Scenario Outline: The example plugin "<plugin>" passes the gate
      When agentshape conformance checks the plugin "<plugin>"
      Then the command exits with code 0
      And the command's output says "conformance PASSED"

      Examples:
        | plugin         |
        | endpoint       |
        | context-vars   |
        | session-key    |
        | timezone       |
        | session-key-as |
        | session-key-rs |

    @gate:pass
    Scenario: The demo pipeline passes the gate as a whole
      When agentshape conformance checks the demo pipeline
      Then the command exits with code 0
      And the command's output says "conformance PASSED"

  Rule: A plugin that breaks the contract fails, with the reason and a reproducer

    @gate:fail
    Scenario Outline: A plugin that <breaks> fails the gate with a "<check>" failure
      When agentshape conformance checks the plugin "testdata/broken/<plugin>"
      Then the command exits with code 1
      And the command's output says "[<check>]"
      And the command's output says "<reason>"
      And the command's output says "re-run:   agentshape plugin call"

      Examples:
        | breaks                                   | plugin           | check         | reason                                   |
        | adds a field the API does not know       | wrong-field      | schema        | userId: is an unrecognized field         |
        | sets the reserved Tenant Key ID          | forbidden-field  | reserved      | Tenant Key ID, which is reserved         |
        | answers differently to the same envelope | nondeterministic | deterministic | the same envelope gave different answers |
        | runs past its time limit                 | slow             | limits        | timed out                                |
        | panics on a missing attribute            | unchecked-attribute | answer     | fault code plugin_panic                  |

  Rule: The gate measures each plugin's fuel under several seeds and recommends a budget

    Fuel is the same on every machine for a given seed, but a Go plugin's runtime seeds its maps from
    the randomness it reads at start-up — real in production — so its fuel differs a little from one
    instance to the next. The gate replays every call it made under three more seeds (--fuel-seeds)
    and reports, per plugin, the max over every seed, the spread between seeds on the same call and a
    recommended budget: max × (1 + max(2 × spread, 2%)). A call over the budget under any seed fails
    the plugin and names the seed; a budget with less headroom than that is a warning.

    @gate:fuel
    Scenario Outline: A <language> plugin's fuel <differs>
      When agentshape conformance checks the plugin "<plugin>"
      Then the command exits with code 0
      And the command's output says "under seeds 1, 2, 3, 4 (max under seed"
      And the command's output says "recommended budget"
      And the fuel spread of "<plugin>" is <spread>%

      Examples:
        | language | differs                                                         | plugin   | spread      |
        | Go       | differs between seeds: its runtime reads randomness at start-up | endpoint | more than 0 |
        | C        | is the same under every seed: it reads no randomness            | timezone | 0           |

    @gate:fuel
    Scenario: A budget that holds under the run's seed alone fails under a seed of the sweep, which the failure names
      Given a seed under which "endpoint" uses less fuel than under a seed of the fuel sweep
      When agentshape conformance checks the plugin "endpoint" under that seed with a fuel budget of its max under that seed alone
      Then the command exits with code 1
      And the command's output says "OVER its budget of"
      And the command's output says "of the fuel sweep"
      And the command's output says "re-run:   agentshape plugin call"

  Rule: The gate checks a plugin against the team's own org

    @gate:org
    Scenario: A plugin hard-coded to the team's My Domain fails against the demo org, naming --org, and passes with --org
      Given an org file for the org at "https://acme.my.salesforce.com"
      When agentshape conformance checks the plugin "endpoint" set to "https://acme.my.salesforce.com" against the demo org
      Then the command exits with code 1
      And the command's output says "org: the built-in demo org"
      And the command's output says "pass it with --org ORG.yaml"
      When agentshape conformance checks the plugin "endpoint" set to "https://acme.my.salesforce.com" against the org file
      Then the command exits with code 0
      And the command's output says "org: https://acme.my.salesforce.com from"

  Rule: Before re-pinning a plugin's sha256, the gate shows how the new version behaves differently

    The team compares the new version with the one its manifests pin (--baseline OLD.wasm, or
    --baseline-manifest OLD.yaml for a pipeline): agentshape runs both with the same seed on the same
    contexts and lists every case whose answer differs, field by field. Differences are for review and
    keep the gate's exit code; --fail-on-diff makes any difference fail the job.

    @gate:diff
    Scenario: agentshape finds no difference between a plugin and a twin that answers every case alike
      When agentshape conformance compares the plugin "session-key-as" with the baseline "session-key", both set to "replace=true", and fails on a difference
      Then the command exits with code 0
      And the command's output says "behaviour diff against the baseline"
      And the command's output says "no differences in 13 cases"

    @gate:diff
    Scenario: agentshape lists each changed field and each changed answer, and fails on them only with --fail-on-diff
      Given a baseline pipeline whose session-key runs in mode "conversation"
      And a new pipeline whose session-key runs in mode "random"
      When agentshape conformance compares the new pipeline with the baseline pipeline
      Then the command exits with code 0
      And the command's output says "conformance PASSED"
      And the command's output says "13 of 13 cases differ"
      And the command's output says "/externalSessionKey: \"6a8ee6c0-3732-538e-8a2a-03cbbd0add26\" -> \""
      And the command's output says "answer: refusal \"no_conversation_id\" by session-key -> request"
      When agentshape conformance compares the new pipeline with the baseline pipeline and fails on a difference
      Then the command exits with code 1
      And the command's error output mentions "differs from the baseline"
      And the command's output says "conformance FAILED (the behaviour differs from the baseline in"
