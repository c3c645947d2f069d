"""The Conversations API's state and rules, without HTTP (pure: plain values in and out).

store.py: a tenant's conversations, their items, the server-wide cap (oldest evicted first);
body.py: the bodies of the conversation endpoints and the `conversation` and
`context_management` parameters of a create request, checked as the API checks them;
items.py: input items as conversation items (ids, status), pages of them.
The lifecycles that use them (create a response in a conversation, compact) are in
mockserver.pipeline.conversations and mockserver.pipeline.compact; the routes in
mockserver.api.conversations.
"""
