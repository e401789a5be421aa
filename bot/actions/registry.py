"""The actions Omnibot runs in-process."""

from __future__ import annotations

from rasa_sdk import Action

from bot.actions import cart, orders, support


def default_actions() -> list[Action]:
    return [
        cart.ShowMenu(),
        cart.AddToCart(),
        cart.RemoveFromCart(),
        cart.ChangeItem(),
        cart.ShowCart(),
        cart.ClearCart(),
        orders.PlaceOrder(),
        orders.OrderStatus(),
        orders.CancelOrder(),
        orders.CancelOrderConfirmed(),
        orders.Reorder(),
        orders.RateOrder(),
        orders.RateComment(),
        support.AnswerFaq(),
        support.ProductInfo(),
        support.Prices(),
    ]
