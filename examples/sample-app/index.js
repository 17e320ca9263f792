// The sample app the Quickstart deploys: an ES-module Worker that says hello from wherever it runs.
export default {
  async fetch(request, env) {
    const host = new URL(request.url).hostname;
    return new Response(`${env.GREETING} from ${host}: deployed by an agent through agentprovision.\n`, {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
};
