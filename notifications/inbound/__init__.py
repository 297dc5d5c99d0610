"""Reply by email: the chat's emails carry a Reply-To for their recipient and chat
(`addresses`), and `manage.py mail_gateway` (`gateway`) takes what is sent to it, cuts the quoted
mail away (`parsing`) and posts the rest as its sender's message (`receive`), or answers why not
(`bounces`)."""
