@TC-20
Feature: Checkout
  The feature's tag maps every scenario that has no closer case tag.

  Scenario: An empty basket cannot be paid
    Given an empty basket
    Then the pay button is disabled

  @TCID_TC-21 @smoke
  Scenario: A basket is paid by invoice
    Given a basket with 2 books
    When the customer pays by invoice
    Then the order is confirmed

  @TC-22
  Scenario Outline: A basket is paid by card
    Given a basket with <count> books
    When the customer pays with <card>
    Then the order is confirmed

    Examples:
      | count | card |
      | 1     | visa |

    @TC-24
    Examples:
      | count | card   |
      | 3     | amex   |
      | 4     | diners |

  Rule: Gift cards

    @TC-23
    Scenario: A gift card pays part of the basket
      Given a basket with 2 books
      When the customer pays with a gift card
      Then a balance of 5 is left
