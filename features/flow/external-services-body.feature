@flow
Feature: New Session Request Body as External Services holds it
  A flow builds the New Session Request Body with Assignment elements. Salesforce Help names the
  members to assign (agent-api.md §6), but a Flow debug log of the same action family shows how the
  flow really holds the body: as an External Services type (agent-api.md §6.1).

    * Every member has a companion flag ending in "_set" that says whether the flow assigned it.
    * A variable's type is spelled "z0type".
    * Each variable is a wrapper that holds one kind of variable: TextVariable, NumberVariable,
      BooleanVariable, DateVariable, DateTimeVariable, MoneyVariable, RefVariable, ListVariable,
      JsonVariable or ObjectVariable. The wrapper may hold only one kind; Flow refuses one that
      holds two with "The polymorphic object … expects only one property, but an extra object …
      was passed in".
    * The Tenant Key ID is not a member of the body: it is an input of the action, sent as the
      header x-sfdc-tenant-id.

  agentshape reads this form as well as Help's. The tables list the Assignments as the debug log
  prints them and what the Agent API receives.

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version

  Rule: each wrapper becomes one variable of its kind

    @flow:body-external-services @agentshape-decision
    Scenario: agentshape sends every wrapper as a variable of its kind, its value as text
      Given a New Session Request Body as External Services holds it:
        | field                                   | value                                |
        | externalSessionKey_set                  | true                                 |
        | externalSessionKey                      | 5b2e8c1d-3f4a-4e6b-9d7c-1a2b3c4d5e6f |
        | instanceConfig_set                      | true                                 |
        | instanceConfig.endpoint_set             | true                                 |
        | instanceConfig.endpoint                 | https://acme.my.salesforce.com       |
        | variables_set                           | true                                 |
        | variables[0].TextVariable_set           | true                                 |
        | variables[0].TextVariable.z0type        | Text                                 |
        | variables[0].TextVariable.name_set      | true                                 |
        | variables[0].TextVariable.name          | orderTier                            |
        | variables[0].TextVariable.value_set     | true                                 |
        | variables[0].TextVariable.value         | gold                                 |
        | variables[1].NumberVariable_set         | true                                 |
        | variables[1].NumberVariable.z0type      | Number                               |
        | variables[1].NumberVariable.name        | openCases                            |
        | variables[1].NumberVariable.value       | 3                                    |
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received exactly the variables:
        | name      | type   | value |
        | orderTier | Text   | gold  |
        | openCases | Number | 3     |

    @flow:body-external-services @agentshape-decision
    Scenario: agentshape sends Help's message.TextVariable in the External Services form as a context variable
      Given a New Session Request Body as External Services holds it:
        | field                               | value                                |
        | externalSessionKey                  | 5b2e8c1d-3f4a-4e6b-9d7c-1a2b3c4d5e6f |
        | instanceConfig.endpoint             | https://acme.my.salesforce.com       |
        | message_set                         | true                                 |
        | message.TextVariable_set            | true                                 |
        | message.TextVariable.z0type         | Text                                 |
        | message.TextVariable.name           | $Context.EndUserLanguage             |
        | message.TextVariable.text           | fr                                   |
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received exactly the variables:
        | name                     | type | value |
        | $Context.EndUserLanguage | Text | fr    |

  Rule: a polymorphic value holds only one kind

    @flow:body-polymorphic @agentshape-decision
    Scenario: agentshape refuses a variable that holds two kinds with Flow's own error, and sends nothing
      Given a New Session Request Body as External Services holds it:
        | field                                   | value                                |
        | externalSessionKey                      | 5b2e8c1d-3f4a-4e6b-9d7c-1a2b3c4d5e6f |
        | instanceConfig.endpoint                 | https://acme.my.salesforce.com       |
        | variables[0].TextVariable_set           | true                                 |
        | variables[0].TextVariable.name          | orderTier                            |
        | variables[0].TextVariable.value         | gold                                 |
        | variables[0].NumberVariable_set         | true                                 |
        | variables[0].NumberVariable.name        | openCases                            |
        | variables[0].NumberVariable.value       | 3                                    |
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "The polymorphic object AIAgentAPIV1_Variable_KT_PT expects only one property, but an extra object TextVariable was passed in"
      And the refusal names "a polymorphic value takes only one kind"
      And the Agent API received no Start Session request

    @flow:body-polymorphic @agentshape-decision
    Scenario: agentshape counts only the kinds whose flag is true
      Given a New Session Request Body as External Services holds it:
        | field                                   | value                                |
        | externalSessionKey                      | 5b2e8c1d-3f4a-4e6b-9d7c-1a2b3c4d5e6f |
        | instanceConfig.endpoint                 | https://acme.my.salesforce.com       |
        | variables[0].TextVariable_set           | false                                |
        | variables[0].TextVariable.name          | orderTier                            |
        | variables[0].TextVariable.value         | gold                                 |
        | variables[0].NumberVariable_set         | true                                 |
        | variables[0].NumberVariable.name        | openCases                            |
        | variables[0].NumberVariable.value       | 3                                    |
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received exactly the variables:
        | name      | type   | value |
        | openCases | Number | 3     |

  Rule: a member the flow did not set is not sent

    @flow:body-unset @agentshape-decision
    Scenario: agentshape leaves out a member whose flag is false, as Flow does
      Given a New Session Request Body as External Services holds it:
        | field                   | value                                |
        | externalSessionKey      | 5b2e8c1d-3f4a-4e6b-9d7c-1a2b3c4d5e6f |
        | instanceConfig.endpoint | https://acme.my.salesforce.com       |
        | bypassUser_set          | false                                |
        | bypassUser              | true                                 |
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received no member "bypassUser"

    @flow:body-unset @agentshape-decision
    Scenario: agentshape refuses a required member whose flag is false, because Flow would not send it
      Given a New Session Request Body as External Services holds it:
        | field                       | value                                |
        | externalSessionKey_set      | false                                |
        | externalSessionKey          | 5b2e8c1d-3f4a-4e6b-9d7c-1a2b3c4d5e6f |
        | instanceConfig.endpoint     | https://acme.my.salesforce.com       |
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "externalSessionKey_set is false"
      And the Agent API received no Start Session request
