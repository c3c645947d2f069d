// One conversation round trip with the official Node SDK, as a user's Node code would.
// Usage: node conversations_check.mjs BASE_URL   (prints one JSON line of findings)
import OpenAI from "openai";

const client = new OpenAI({ baseURL: process.argv[2], apiKey: "node-conv-key", maxRetries: 0 });
const out = {};

const conversation = await client.conversations.create({
  metadata: { topic: "node" },
  items: [{ type: "message", role: "user", content: "Hello from Node" }],
});
out.conversation = { id: conversation.id, object: conversation.object, metadata: conversation.metadata };

const first = await client.responses.create({ model: "gpt-4o", input: "First turn", conversation: conversation.id });
const second = await client.responses.create({ model: "gpt-4o", input: "Second turn", conversation: { id: conversation.id } });
out.responses = [first.conversation?.id, second.conversation?.id];

const items = [];
for await (const item of client.conversations.items.list(conversation.id, { order: "asc" })) items.push(item);
out.items = items.map((i) => `${i.type}:${i.role}`);

const one = await client.conversations.items.retrieve(items[0].id, { conversation_id: conversation.id });
out.firstItemSame = one.id === items[0].id;

const deleted = await client.conversations.delete(conversation.id);
out.deleted = deleted.deleted;
try {
  await client.conversations.retrieve(conversation.id);
  out.goneAfterDelete = false;
} catch (err) {
  out.goneAfterDelete = err instanceof OpenAI.NotFoundError;
}
console.log(JSON.stringify(out));
