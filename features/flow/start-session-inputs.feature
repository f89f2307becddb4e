@flow
Feature: Start Session action: its inputs
  In Flow Builder, an Action element of category "AI Agent API" named "Start Session" starts a
  conversation with an agent. It takes three inputs (agent-api.md §6):

    | Input                    | Required | Content                                                                  |
    | New Session Request Body | yes      | an Apex record of class AgentInvAction__AIAgentAPIV1_StartSessionRequest |
    | Agent ID                 | yes      | the agent ID from the end of the agent details page URL                  |
    | Tenant Key ID            | -        | reserved for internal use                                                |

  agentshape accepts the same inputs: the body in the Flow's shape and the Agent ID. Where Salesforce
  says only "required" or "reserved", agentshape decides to check the input before anything is
  sent; those scenarios are tagged @agentshape-decision.

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version

  Rule: New Session Request Body is required and carries the session's settings

    @flow:input-body @salesforce-documented
    Scenario: A complete New Session Request Body starts a session
      Given a New Session Request Body assigned as:
        | field                     | value                                |
        | externalSessionKey        | 3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71 |
        | instanceConfig.endpoint   | https://acme.my.salesforce.com       |
        | message.TextVariable.name | $Context.EndUserLanguage             |
        | message.TextVariable.text | de                                   |
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Response Code is 200

    @flow:input-body @agentshape-decision
    Scenario: agentshape refuses an empty New Session Request Body before anything is sent
      Given an empty New Session Request Body
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "externalSessionKey"
      And the refusal names "instanceConfig"
      And the Agent API received no Start Session request

  Rule: Agent ID is required and must be an agent ID from the agent details page

    @flow:input-agent-id @salesforce-documented
    Scenario: The 18-character agent ID from the agent details page URL starts a session
      Given a valid New Session Request Body
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output

    @flow:input-agent-id @agentshape-decision
    Scenario: agentshape refuses a value that is not an agent ID before anything is sent
      Given a valid New Session Request Body
      When the flow runs Start Session for agent "not-an-agent"
      Then the request is refused before sending
      And the refusal names "agent ID"
      And the Agent API received no Start Session request

    @flow:input-agent-id @agentshape-decision
    Scenario: agentshape's emulator answers an agent ID the org does not have with the 404 Exception output
      Given a valid New Session Request Body
      When the flow runs Start Session for agent "0XxAA0000000009ZZZ"
      Then the action takes the "404 Exception" output
      And the Response Code is 404

  Rule: Tenant Key ID is reserved for internal use

    @flow:input-tenant-key @agentshape-decision
    Scenario: agentshape refuses a Tenant Key ID set by the caller, because it is reserved
      Given a New Session Request Body assigned as:
        | field                   | value                                |
        | externalSessionKey      | 3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71 |
        | instanceConfig.endpoint | https://acme.my.salesforce.com       |
        | tenantKeyId             | tenant-123                           |
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "tenantKeyId"
      And the Agent API received no Start Session request

    @flow:input-tenant-key @agentshape-decision
    Scenario: agentshape refuses the Tenant Key ID input, which the action sends as the header x-sfdc-tenant-id
      Given a valid New Session Request Body
      And the flow's Tenant Key ID input is "test"
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "x-sfdc-tenant-id"
      And the refusal names "internal use"
      And the Agent API received no Start Session request

    @flow:input-tenant-key @plugin @agentshape-decision
    Scenario: agentshape names a plugin that sets the Tenant Key ID and sends nothing
      Given a pipeline of the plugins "session-key, endpoint, testdata/broken/forbidden-field"
      When agentshape starts a session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "tenantKeyId"
      And the refusal blames the plugin "forbidden-field"
      And the Agent API received no Start Session request

    @flow:input-tenant-key @plugin @agentshape-decision
    Scenario: agentshape names a plugin that sets the Tenant Key ID even when a later plugin removes it
      Given a pipeline of the plugins "session-key, endpoint, testdata/broken/forbidden-field, testdata/provenance/drop" where "drop" has the configuration:
        """json
        {"member": "tenantKeyId"}
        """
      When agentshape starts a session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "tenantKeyId"
      And the refusal blames the plugin "forbidden-field"
      And the Agent API received no Start Session request
