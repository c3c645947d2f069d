// Drives the mock with the official Node SDK, as a user's Node code would.
// Usage: node sdk_check.mjs BASE_URL   (prints one JSON line of findings; exits 1 on failure)
import OpenAI from "openai";

const client = new OpenAI({ baseURL: process.argv[2], apiKey: "node-key", maxRetries: 0 });
const out = {};

const created = await client.responses.create({ model: "gpt-4o", input: "Hello from Node" });
out.created = { id: created.id, status: created.status, text: created.output_text };

const got = await client.responses.retrieve(created.id);
out.retrievedSame = got.id === created.id && got.output_text === created.output_text;

const items = await client.responses.inputItems.list(created.id);
out.inputItems = items.data.length;

const stream = client.responses.stream({ model: "gpt-4o", input: "Stream please" });
const types = [];
for await (const event of stream) types.push(event.type);
const final = await stream.finalResponse();
out.stream = { first: types[0], last: types.at(-1), deltas: types.filter((t) => t.endsWith(".delta")).length, text: final.output_text };

await client.responses.delete(created.id);
try {
  await client.responses.retrieve(created.id);
  out.deletedGone = false;
} catch (err) {
  out.deletedGone = err instanceof OpenAI.NotFoundError;
}
try {
  await client.responses.create({ model: "gpt-4o", input: "x", temperature: 5 });
} catch (err) {
  out.badRequest = { cls: err.constructor.name, code: err.code, param: err.param };
}
console.log(JSON.stringify(out));
