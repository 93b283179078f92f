// Drives the gateway through its own /types/typescript DTOs (./dtos, written by the test) with
// @servicestack/client's JsonServiceClient. Prints one JSON line of what it saw; the test asserts.
import { JsonServiceClient } from "@servicestack/client";
import { AISessionInfo, DeleteAISession, GetAISession, ListAISessions, NewAISession, PatchAISession } from "./dtos";

// Node's own global, declared here so the build needs no @types/node.
declare const process: { argv: string[]; exit(code: number): never };

async function main(): Promise<void> {
    const [baseUrl, apiKey, accountId] = process.argv.slice(2);
    const client = new JsonServiceClient(baseUrl);
    client.bearerToken = apiKey;

    // The response types come from IReturn<AISessionInfo>: these annotations must type-check.
    const created: AISessionInfo = await client.post(new NewAISession({ accountId, purpose: "node" }));
    const fetched: AISessionInfo = await client.get(new GetAISession({ sessionId: created.id }));
    const patched: AISessionInfo = await client.patch(
        new PatchAISession({ sessionId: created.id, purpose: "node-patched" }),
    );
    const sent: AISessionInfo = await client.send(new PatchAISession({ sessionId: created.id, purpose: "node-sent" }));
    const page = await client.get(new ListAISessions({ accountIds: [accountId], countPerPage: 100 }));
    const listed = (page.items ?? []).map((item) => item.id);

    const doomed = await client.post(new NewAISession({ accountId, purpose: "doomed" }));
    await client.delete(new DeleteAISession({ sessionId: doomed.id }));
    let afterDelete: unknown = null;
    try {
        await client.get(new GetAISession({ sessionId: doomed.id }));
    } catch (e) {
        afterDelete = (e as { responseStatus?: { errorCode?: string } }).responseStatus?.errorCode ?? String(e);
    }
    console.log(JSON.stringify({ created, fetched, patched, sent, listed, doomed: doomed.id, afterDelete }));
}

main().catch((e) => {
    console.error(JSON.stringify(e));
    process.exit(1);
});
