@flow
Feature: Send Session Message: every kind of message, every kind of value
  The Send Session Message action (AI Agent API category) continues a session that Start Session
  opened. Its Message Request Body holds one message, of one of six types the Agent API documents
  (agent-api.md §13):

    | Type              | What the flow sends it for                                        |
    | Text              | what the user says, optionally answering one of the agent's messages |
    | Reply             | the values the agent asked for                                    |
    | Cancel            | withdraw what the agent asked                                     |
    | TransferFailed    | a transfer to a person did not happen (no one available, or an error) |
    | TransferSucceeded | the transfer happened                                             |
    | PlanTemplate      | run a plan template                                               |

  Variables can go with any message. The API's documentation types a variable's value as text in one
  place and as the variable's own kind (a number, true or false, a list…) in another, so agentshape
  accepts both.

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version
    And a started session with agent "0XxAA0000000001AAA"

  Rule: each documented message type is accepted

    @flow:message-types @salesforce-documented
    Scenario Outline: The Agent API takes a "<type>" message
      When the user sends a "<type>" message
      Then the outcome is "200"
      And the agent answers with at least one message

      Examples:
        | type              |
        | Text              |
        | Reply             |
        | Cancel            |
        | TransferFailed    |
        | TransferSucceeded |
        | PlanTemplate      |

  Rule: a variable's value is text, or the value its kind documents

    @flow:variable-values @agentshape-decision
    Scenario Outline: agentshape sends a <type> variable written as <form>
      When the user sends the message "Hi" with the variable "<name>" of type "<type>" written as <form>: <value>
      Then the outcome is "200"

      Examples:
        | name      | type    | form          | value         |
        | orderTier | Text    | text          | gold          |
        | openCases | Number  | its JSON value | 3            |
        | openCases | Number  | text          | 3             |
        | isVip     | Boolean | its JSON value | true         |
        | tags      | List    | its JSON value | ["a","b"]    |
        | prefs     | Json    | its JSON value | {"lang":"de"} |
