// Validates Kubernetes objects against the API's schemas, offline: kubernetes-models bundles
// the JSON schemas generated from Kubernetes' OpenAPI (and the Prometheus Operator's CRDs).
// Input: one JSON object per line on stdin (yq -c . FILE.yaml). Output: "valid KIND NAME" or
// "invalid KIND NAME: why" per object; exit 1 if any is invalid or of an unknown kind.
import { createInterface } from "node:readline";

// apiVersion to the module holding its models.
function modulePath(apiVersion) {
	if (apiVersion.startsWith("monitoring.coreos.com/"))
		return `@kubernetes-models/prometheus-operator/${apiVersion}`;
	return `kubernetes-models/${apiVersion}`;
}

let bad = 0;
for await (const line of createInterface({ input: process.stdin })) {
	if (!line.trim() || line === "null")
		continue;
	const obj = JSON.parse(line);
	const what = `${obj.kind} ${obj.metadata?.name ?? "?"}`;
	try {
		const mod = await import(modulePath(obj.apiVersion));
		if (typeof mod[obj.kind] !== "function")
			throw new Error(`unknown kind in ${obj.apiVersion}`);
		new mod[obj.kind](obj).validate();
		console.log(`valid ${what}`);
	} catch (e) {
		console.log(`invalid ${what}: ${e.message.split("\n")[0]}`);
		bad++;
	}
}
process.exit(bad ? 1 : 0);
