@product
Feature: A session's life: start, send, stream, end
  After Start Session, a conversation sends messages (each with a growing sequenceId), may stream
  the answer as server-sent events, and ends with a reason. An ended session is gone
  (agent-api.md §1, §8).

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version
    And a started session with agent "0XxAA0000000001AAA"

  Rule: Messages are answered in order

    @session:send @salesforce-documented
    Scenario: A message gets the agent's answer
      When the user sends the message "Where is my order?"
      Then the agent answers with at least one message

    @session:stream @salesforce-documented
    Scenario: A streamed answer arrives as text chunks and ends the turn
      When the user sends the message "Where is my order?" as a stream
      Then the stream delivers at least one "TextChunk" message
      And the stream ends with an "EndOfTurn" message

  Rule: A ValidationFailureChunk withdraws what was streamed

    While the agent writes, its answer streams as text chunks. Salesforce's trust layer checks the
    whole answer only at the end; when it withdraws it, a ValidationFailureChunk arrives, and the
    client removes every chunk it has shown and shows what streams after it (agent-api.md §12).

    @session:stream @salesforce-documented
    Scenario: The chat window drops the withdrawn chunks and shows the answer that follows
      Given the agent streams:
        | message                | text                          |
        | ProgressIndicator      | Looking up your order…        |
        | TextChunk              | Your order                    |
        | TextChunk              | was lost.                     |
        | ValidationFailureChunk | withdrawn by the trust layer  |
        | TextChunk              | Your order shipped yesterday. |
        | Inform                 | Your order shipped yesterday. |
        | EndOfTurn              |                               |
      When the user sends the message "Where is my order?" as a stream
      Then the events arrive in this order:
        | event                    |
        | PROGRESS_INDICATOR       |
        | TEXT_CHUNK               |
        | TEXT_CHUNK               |
        | VALIDATION_FAILURE_CHUNK |
        | TEXT_CHUNK               |
        | INFORM                   |
        | END_OF_TURN              |
      And the chat window shows "Your order shipped yesterday."

    @session:stream-events @agentshape-decision
    Scenario Outline: agentshape passes on a streamed "<message>" in order
      Given the agent streams:
        | message   | text        |
        | TextChunk | One moment. |
        | <message> | <text>      |
        | EndOfTurn |             |
      When the user sends the message "Hello" as a stream
      Then the events arrive in this order:
        | event       |
        | TEXT_CHUNK  |
        | <event>     |
        | END_OF_TURN |

      Examples:
        | message      | event         | text                   |
        | Inquire      | INQUIRE       | Which order?           |
        | Confirm      | CONFIRM       | Cancel order 1234?     |
        | Failure      | FAILURE       | The lookup failed.     |
        | Escalate     | ESCALATE      | A person will help.    |
        | SessionEnded | SESSION_ENDED | Action                 |
        | Error        | ERROR         | Something went wrong.  |

  Rule: One request at a time per session

    @session:busy @salesforce-documented
    Scenario: A second message while the agent is still answering takes the 423 Exception output
      Given the agent takes a while to answer
      When the user sends two messages at once
      Then one message is answered
      And the other takes the "423 Exception" output

  Rule: An ended session is gone

    @session:end @salesforce-documented
    Scenario: Ending a session returns a SessionEnded message
      When the session is ended because "UserRequest"
      Then the end is acknowledged

    @session:end @salesforce-observed
    Scenario: A message to an ended session takes the 404 Exception output
      Given the session is ended because "UserRequest"
      When the user sends the message "Hello?"
      Then the outcome is "404 Exception"
      And the exception message contains "not found"
