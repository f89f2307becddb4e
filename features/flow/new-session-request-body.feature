@flow
Feature: New Session Request Body: how to build it and what it becomes
  Salesforce Help describes four steps to build the New Session Request Body in a flow
  (agent-api.md §6):

    1. Create an Apex-defined variable of class AgentInvAction__AIAgentAPIV1_StartSessionRequest.
    2. In an Assignment, set externalSessionKey and instanceConfig.endpoint (the API endpoint).
    3. In an Assignment, set message.TextVariable.text and message.TextVariable.name, where the
       name is a context variable.
    4. Pass the variable as the action's New Session Request Body.

  The Agent API's own request has no "message" member: values go in "variables", and the endpoint
  must be the org's My Domain URL (agent-api.md §2, §6 "Conflicts"). Salesforce does not say how the
  one becomes the other, so agentshape decides: the scenarios tagged @agentshape-decision show how
  agentshape maps the Flow body, and the tables list what the Agent API then receives.

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version

  Rule: agentshape turns the Flow body into the Agent API body

    @flow:body-assembly @flow:body-message-text @flow:body-message-name @agentshape-decision
    Scenario: agentshape turns a text context variable into an entry of "variables"
      Given a New Session Request Body assigned as:
        | field                     | value                                |
        | externalSessionKey        | 3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71 |
        | instanceConfig.endpoint   | https://acme.my.salesforce.com       |
        | message.TextVariable.name | $Context.EndUserLanguage             |
        | message.TextVariable.text | de                                   |
      When the New Session Request Body is mapped to the Agent API body
      Then the Agent API body has exactly the fields:
        | field                   | value                                |
        | externalSessionKey      | 3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71 |
        | instanceConfig.endpoint | https://acme.my.salesforce.com       |
      And the Agent API body has exactly the variables:
        | name                     | type | value |
        | $Context.EndUserLanguage | Text | de    |

    @flow:body-assembly @agentshape-decision
    Scenario: agentshape sends the mapped body and nothing else
      Given a valid New Session Request Body
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received exactly the mapped body

  Rule: externalSessionKey tags the conversation and must not be empty

    @flow:body-external-session-key @salesforce-documented
    Scenario: The externalSessionKey reaches the Agent API unchanged
      Given a valid New Session Request Body with externalSessionKey "9b1c7e0a-2f3d-4a5b-8c6d-7e8f9a0b1c2d"
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received externalSessionKey "9b1c7e0a-2f3d-4a5b-8c6d-7e8f9a0b1c2d"

    @flow:body-external-session-key @agentshape-decision
    Scenario: agentshape refuses an empty externalSessionKey before anything is sent
      Given a valid New Session Request Body with externalSessionKey ""
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "externalSessionKey"
      And the Agent API received no Start Session request

  Rule: instanceConfig.endpoint must be the org's My Domain URL

    @flow:body-endpoint @salesforce-documented
    Scenario: The org's My Domain URL is accepted
      Given a valid New Session Request Body with endpoint "https://acme.my.salesforce.com"
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output

    @flow:body-endpoint @agentshape-decision
    Scenario: agentshape replaces "the API endpoint" of the Help steps with the org's My Domain URL
      Given a valid New Session Request Body with endpoint "https://api.salesforce.com"
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received instanceConfig.endpoint "https://acme.my.salesforce.com"

    @flow:body-endpoint @agentshape-decision
    Scenario Outline: agentshape refuses a URL that is not a My Domain URL before sending: <kind>
      Given a valid New Session Request Body with endpoint "<endpoint>"
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "instanceConfig.endpoint"
      And the Agent API received no Start Session request

      Examples:
        | kind          | endpoint                         |
        | Lightning URL | https://acme.lightning.force.com |
        | plain HTTP    | http://acme.my.salesforce.com    |
        | not a URL     | acme                             |

  Rule: message.TextVariable.name must be a context variable

    @flow:body-message-name @agentshape-decision
    Scenario: agentshape refuses a name without the "$Context." prefix before sending
      Given a New Session Request Body assigned as:
        | field                     | value                                |
        | externalSessionKey        | 3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71 |
        | instanceConfig.endpoint   | https://acme.my.salesforce.com       |
        | message.TextVariable.name | EndUserLanguage                      |
        | message.TextVariable.text | de                                   |
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "message.TextVariable.name"
      And the Agent API received no Start Session request

    @flow:body-message-text @agentshape-decision
    Scenario: agentshape sends message.TextVariable.text as the context variable's value
      Given a New Session Request Body assigned as:
        | field                     | value                                |
        | externalSessionKey        | 3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71 |
        | instanceConfig.endpoint   | https://acme.my.salesforce.com       |
        | message.TextVariable.name | $Context.EndUserLanguage             |
        | message.TextVariable.text | fr_FR                                |
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received the variable "$Context.EndUserLanguage" with value "fr_FR"
