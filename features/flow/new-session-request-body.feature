@flow
Feature: New Session Request Body: how to build it and what it becomes
  Salesforce Help describes four steps to build the New Session Request Body in a flow
  (agent-api.md §6):

    1. Create an Apex-defined variable of class AgentInvAction__AIAgentAPIV1_StartSessionRequest.
    2. In an Assignment, set externalSessionKey and instanceConfig.endpoint (the API endpoint).
    3. In an Assignment, set message.TextVariable.text and message.TextVariable.name, where the
       name is a context variable.
    4. Pass the variable as the action's New Session Request Body.

  The REST API has no "message" member: values go in "variables", and the endpoint must be the
  org's My Domain URL. agentshape maps the Flow body to the body the Agent API accepts, shown below.

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version

  Rule: The Flow body becomes the Agent API body

    @flow:body-assembly @flow:body-message-text @flow:body-message-name
    Scenario: A text context variable becomes an entry of "variables"
      Given a New Session Request Body:
        """json
        {
          "externalSessionKey": "3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",
          "instanceConfig": {"endpoint": "https://acme.my.salesforce.com"},
          "message": {"TextVariable": {"name": "$Context.EndUserLanguage", "text": "de"}}
        }
        """
      When the New Session Request Body is mapped to the Agent API body
      Then the Agent API body is:
        """json
        {
          "externalSessionKey": "3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",
          "instanceConfig": {"endpoint": "https://acme.my.salesforce.com"},
          "variables": [{"name": "$Context.EndUserLanguage", "type": "Text", "value": "de"}]
        }
        """

    @flow:body-assembly
    Scenario: The mapped body is what the Agent API receives
      Given a valid New Session Request Body
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received exactly the mapped body

  Rule: externalSessionKey tags the conversation and must not be empty

    @flow:body-external-session-key
    Scenario: The externalSessionKey is sent unchanged
      Given a valid New Session Request Body with externalSessionKey "9b1c7e0a-2f3d-4a5b-8c6d-7e8f9a0b1c2d"
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received externalSessionKey "9b1c7e0a-2f3d-4a5b-8c6d-7e8f9a0b1c2d"

    @flow:body-external-session-key
    Scenario: An empty externalSessionKey is refused before anything is sent
      Given a valid New Session Request Body with externalSessionKey ""
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "externalSessionKey"
      And the Agent API received no Start Session request

  Rule: instanceConfig.endpoint must be the org's My Domain URL

    @flow:body-endpoint
    Scenario: The org's My Domain URL is accepted
      Given a valid New Session Request Body with endpoint "https://acme.my.salesforce.com"
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output

    @flow:body-endpoint
    Scenario: "The API endpoint" Help speaks of is replaced by the org's My Domain URL
      Given a valid New Session Request Body with endpoint "https://api.salesforce.com"
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received instanceConfig.endpoint "https://acme.my.salesforce.com"

    @flow:body-endpoint
    Scenario Outline: A URL that is not a My Domain URL is refused before sending: <kind>
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

    @flow:body-message-name
    Scenario: A name without the "$Context." prefix is refused before sending
      Given a New Session Request Body:
        """json
        {
          "externalSessionKey": "3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",
          "instanceConfig": {"endpoint": "https://acme.my.salesforce.com"},
          "message": {"TextVariable": {"name": "EndUserLanguage", "text": "de"}}
        }
        """
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the request is refused before sending
      And the refusal names "message.TextVariable.name"
      And the Agent API received no Start Session request

    @flow:body-message-text
    Scenario: The text is the context variable's value
      Given a New Session Request Body:
        """json
        {
          "externalSessionKey": "3f0c2d9e-7a41-4b6e-9c15-0d2e8f4a6b71",
          "instanceConfig": {"endpoint": "https://acme.my.salesforce.com"},
          "message": {"TextVariable": {"name": "$Context.EndUserLanguage", "text": "fr_FR"}}
        }
        """
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output
      And the Agent API received the variable "$Context.EndUserLanguage" with value "fr_FR"
