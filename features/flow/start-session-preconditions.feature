@flow
Feature: Start Session action: preconditions
  The Start Session action only works when three things are true; otherwise it fails
  (agent-api.md §6):

    1. Agentforce is enabled in the org.
    2. The running user has the "Manage AI Agents" permission.
    3. The agent has an active version.

  Each scenario below breaks exactly one of them and shows the output the flow takes. Help does not
  say which output a broken precondition takes. A missing active version is documented as 422
  "Cannot determine the active version for the agent" (agent-api.md §5). For Agentforce turned off
  and a missing permission Salesforce documents no answer: agentshape's emulator answers 403 "User
  forbidden from accessing the resource" (@agentshape-decision) until a real org shows otherwise.

  Background:
    Given an org "acme" with Agentforce enabled
    And the running user has the "Manage AI Agents" permission
    And an agent "0XxAA0000000001AAA" with an active version
    And a valid New Session Request Body

  Rule: Agentforce must be enabled in the org

    @flow:pre-agentforce @salesforce-documented
    Scenario: With every precondition met the session starts
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "200" output

    @flow:pre-agentforce @agentshape-decision
    Scenario: With Agentforce turned off the action fails: agentshape's emulator answers with the 403 Exception output
      Given Agentforce is turned off in the org
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "403 Exception" output
      And the Response Code is 403

  Rule: The running user needs the "Manage AI Agents" permission

    @flow:pre-permission @agentshape-decision
    Scenario: Without "Manage AI Agents" the action fails: agentshape's emulator answers with the 403 Exception output
      Given the running user lacks the "Manage AI Agents" permission
      When the flow runs Start Session for agent "0XxAA0000000001AAA"
      Then the action takes the "403 Exception" output
      And the exception message contains "User forbidden from accessing the resource"

  Rule: The agent needs an active version

    @flow:pre-active-version @salesforce-documented
    Scenario: An agent without an active version fails with the 422 Exception output
      Given an agent "0XxAA0000000003AAA" without an active version
      When the flow runs Start Session for agent "0XxAA0000000003AAA"
      Then the action takes the "422 Exception" output
      And the exception message contains "Cannot determine the active version for the agent"
