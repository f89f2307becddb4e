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
