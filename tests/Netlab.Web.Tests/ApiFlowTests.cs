using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Netlab.Web.Tests;

public class ApiFlowTests(SharedPortal portal) : PortalTest(portal)
{
    [Fact]
    public async Task Labs_lists_the_udp_pinger_with_its_options_and_defaults()
    {
        var labs = (await Client.GetFromJsonAsync<JsonArray>("/api/labs"))!;
        var lab = labs.Single(l => (string)l!["id"]! == "udp-ping")!;
        Assert.Equal("udp-ping", (string)lab["server"]!["kind"]!);
        // The ping client, then the lab's graders (server and client).
        Assert.Equal(["udp-ping", "udp-ping-grade", "udp-ping-client-grade"], lab["probes"]!.AsArray().Select(p => (string)p!["kind"]!));
        var probe = lab["probes"]![0]!;
        var lossRate = lab["server"]!["options"]!.AsArray().Single(o => (string)o!["name"]! == "lossRate")!;
        Assert.Equal(0.3, (double)lossRate["default"]!);
        Assert.Equal(1.0, (double)lossRate["max"]!);
        var probeOptions = probe["options"]!.AsArray().ToDictionary(o => (string)o!["name"]!, o => o!["default"]);
        Assert.Equal(10, (int)probeOptions["count"]!);
        Assert.Equal(1000, (int)probeOptions["timeoutMs"]!);
        Assert.Equal(0, (int)probeOptions["intervalMs"]!);
    }

    [Fact]
    public async Task Start_a_server_run_the_probe_and_read_events_and_summary()
    {
        var server = await Client.StartServerAsync(new { lossRate = 0.3, seed = 42 });
        Assert.Equal("Running", (string)server["state"]!);
        var port = (int)server["port"]!;
        Assert.InRange(port, 1, 65535);

        var run = await Client.StartRunAsync(port, new { count = 10, timeoutMs = 300 });
        Assert.Equal("Running", (string)run["status"]!);
        var id = (string)run["id"]!;

        var done = await Client.WaitForRunAsync(id);
        Assert.Equal("Succeeded", (string)done["status"]!);
        var summary = done["summary"]!;
        Assert.Equal(10, (int)summary["transmitted"]!);
        var received = (int)summary["received"]!;
        Assert.InRange(received, 1, 10);
        Assert.Equal((10 - received) * 10.0, (double)summary["lossPercent"]!, 6);
        Assert.True((double)summary["rttMinMs"]! <= (double)summary["rttAvgMs"]!);
        Assert.True((double)summary["rttAvgMs"]! <= (double)summary["rttMaxMs"]!);
        Assert.NotNull(summary["rttMdevMs"]);
        Assert.Equal($"10 packets transmitted, {received} received, {(10 - received) * 10}% packet loss",
            ((string)summary["lines"]![1]!).Split(", time")[0]);

        var events = await Client.EventsAsync(id);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => (long)e!["seq"]!));
        var samples = events.Where(e => (string)e!["kind"]! == "rttSample").ToList();
        Assert.Equal(Enumerable.Range(1, 10), samples.Select(s => (int)s!["sequence"]!));
        Assert.Equal(received, samples.Count(s => (string)s!["outcome"]! == "Reply"));
        Assert.All(samples.Where(s => (string)s!["outcome"]! == "Timeout"), s => Assert.Null(s!["rttMs"]));
        Assert.All(events, e => Assert.Equal(id, (string)e!["sourceId"]!));
        Assert.Equal("summary", (string)events[^1]!["kind"]!);
        Assert.Equal(events.Count, (int)done["eventCount"]!);

        // What the server saw: the same 10 datagrams, echoed or dropped (stored by the server's own pump, a moment after the run's end).
        var seen = await Eventually.UntilAsync(async () => (await Client.GetFromJsonAsync<JsonArray>($"/api/servers/{server["id"]}/events"))!
            .Where(e => (string)e!["kind"]! == "datagramSeen").ToList(), s => s.Count >= 10, "the server's ten datagrams stored");
        Assert.Equal(10, seen.Count);
        Assert.Equal(received, seen.Count(e => (string)e!["action"]! == "Echoed"));
    }

    [Fact]
    public async Task The_event_stream_sends_every_event_live_as_server_sent_events()
    {
        var server = await Client.StartServerAsync();
        var run = await Client.StartRunAsync((int)server["port"]!, new { count = 8, intervalMs = 50 });
        var id = (string)run["id"]!;

        using var response = await Client.GetAsync($"/api/runs/{id}/events/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var streamed = new List<JsonObject>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            var e = JsonNode.Parse(item.Data)!.AsObject();
            Assert.Equal(item.EventType, (string)e["kind"]!);
            Assert.Equal(item.EventId, e["seq"]!.ToString());
            streamed.Add(e);
        }

        var stored = await Client.EventsAsync(id);
        Assert.Equal(stored.Select(e => e!.ToJsonString()), streamed.Select(e => e.ToJsonString()));
        Assert.Equal(8, streamed.Count(e => (string)e["kind"]! == "rttSample"));
        Assert.Equal("Succeeded", (string)(await Client.WaitForRunAsync(id))["status"]!);
    }

    [Fact]
    public async Task A_follower_that_joins_a_long_run_after_its_live_tail_moved_on_gets_every_event_once_and_in_order()
    {
        // More events than a live run keeps in memory before the follower joins: the first ones
        // come from the store, the rest from the feed, with no gap and no duplicate between them.
        var server = await Client.StartServerAsync();
        var id = (string)(await Client.StartRunAsync((int)server["port"]!, new { count = 10_000, intervalMs = 5 }))["id"]!;
        await Eventually.UntilAsync(async () => (await Client.EventsAsync(id)).Count > Runs.RunCoordinator.LiveTail + 100,
            $"the run to store more than {Runs.RunCoordinator.LiveTail + 100} events", TimeSpan.FromMinutes(2));

        using var response = await Client.GetAsync($"/api/runs/{id}/events/stream", HttpCompletionOption.ResponseHeadersRead);
        var streamed = new List<long>();
        var cancelled = false;
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            streamed.Add(long.Parse(item.EventId!, System.Globalization.CultureInfo.InvariantCulture));
            // Well past what was kept when it joined: end the run, which ends the stream.
            if (!cancelled && streamed.Count > Runs.RunCoordinator.LiveTail * 3)
            {
                cancelled = true;
                Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
            }
        }

        Assert.True(cancelled, $"the stream ended after {streamed.Count} events, before the run was cancelled");
        Assert.Equal("Cancelled", (string)(await Client.WaitForRunAsync(id))["status"]!);
        Assert.Equal((await Client.EventsAsync(id)).Select(e => (long)e!["seq"]!), streamed);
    }

    [Fact]
    public async Task A_running_run_can_be_cancelled_once()
    {
        var server = await Client.StartServerAsync();
        var run = await Client.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 100 });
        var id = (string)run["id"]!;

        var cancel = await Client.PostAsync($"/api/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await Client.WaitForRunAsync(id);
        Assert.Equal("Cancelled", (string)done["status"]!);
        Assert.True((int)done["summary"]!["transmitted"]! < 10000);

        var again = await Client.PostAsync($"/api/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("Cancelled", (await again.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.ToString());
    }

    [Fact]
    public async Task Servers_are_listed_fetched_and_stopped()
    {
        var server = await Client.StartServerAsync();
        var id = (string)server["id"]!;

        Assert.Contains((await Client.GetFromJsonAsync<JsonArray>("/api/servers"))!, s => (string)s!["id"]! == id);
        Assert.Equal((int)server["port"]!, (int)(await Client.GetJsonAsync($"/api/servers/{id}"))["port"]!);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/servers/{id}")).StatusCode);
        // Stopped, it leaves the list of running servers but keeps its record.
        Assert.Equal("Stopped", (string)(await Client.GetJsonAsync($"/api/servers/{id}"))["state"]!);
        Assert.DoesNotContain((await Client.GetFromJsonAsync<JsonArray>("/api/servers"))!, s => (string)s!["id"]! == id);
    }

    [Fact]
    public async Task Runs_are_listed_newest_first_and_filtered()
    {
        // The portal is shared: other tests' runs are in the lists too, so only this test's two are compared.
        var server = await Client.StartServerAsync(new { lossRate = 1.0 });
        var first = (string)(await Client.StartRunAsync((int)server["port"]!, new { count = 1, timeoutMs = 10 }))["id"]!;
        await Client.WaitForRunAsync(first);
        var second = (string)(await Client.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 100 }))["id"]!;
        string[] ours = [first, second];
        List<string> Ours(JsonArray runs) => [.. runs.Select(r => (string)r!["id"]!).Where(ours.Contains)];

        var all = (await Client.GetFromJsonAsync<JsonArray>("/api/runs"))!;
        Assert.Equal([second, first], Ours(all));
        var created = all.Select(r => (DateTime)r!["createdAt"]!).ToList();
        Assert.Equal(created.OrderDescending(), created);
        var running = (await Client.GetFromJsonAsync<JsonArray>("/api/runs?status=Running&lab=udp-ping"))!;
        Assert.Equal([second], Ours(running));
        Assert.All(running, r => Assert.Equal(("Running", "udp-ping"), ((string)r!["status"]!, (string)r["lab"]!)));
        var dns = (await Client.GetFromJsonAsync<JsonArray>("/api/runs?lab=dns"))!;
        Assert.Empty(Ours(dns));
        Assert.All(dns, r => Assert.Equal("dns", (string)r!["lab"]!));
        Assert.Equal([second], Ours((await Client.GetFromJsonAsync<JsonArray>("/api/runs?limit=1"))!));
        await Client.PostAsync($"/api/runs/{second}/cancel", null);
        await Client.WaitForRunAsync(second);
    }

    [Fact]
    public async Task Health_and_the_openapi_document_are_served()
    {
        Assert.Equal("Healthy", await Client.GetStringAsync("/healthz"));
        var swagger = await Client.GetStringAsync("/swagger/v1/swagger.json");
        Assert.Contains("/api/runs/{id}/events/stream", swagger);
        Assert.Contains("/api/servers", swagger);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/swagger/index.html")).StatusCode);
    }
}

public class HttpLabApiTests(SharedPortal portal) : PortalTest(portal)
{
    [Fact]
    public async Task The_http_lab_lists_its_client_and_graders()
    {
        var labs = (await Client.GetFromJsonAsync<JsonArray>("/api/labs"))!;
        var http = labs.Single(l => (string)l!["id"]! == "http")!;
        Assert.Equal("http", (string)http["server"]!["kind"]!);
        Assert.Equal(["http-get", "http-grade", "http-client-grade"], http["probes"]!.AsArray().Select(p => (string)p!["kind"]!));
    }

    [Fact]
    public async Task Start_the_web_server_fetch_a_page_and_grade_it_through_the_api()
    {
        var response = await Client.PostAsJsonAsync("/api/servers", new { lab = "http", port = 0, options = new { transcript = true } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var port = (int)(await response.Content.ReadFromJsonAsync<JsonObject>())!["port"]!;

        var get = await Client.PostAsJsonAsync("/api/runs", new { probe = "http-get", target = new { host = "127.0.0.1", port }, options = new { path = "/style.css" } });
        var getRun = await Client.WaitForRunAsync((string)(await get.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        Assert.Equal("Succeeded", (string)getRun["status"]!);
        Assert.Equal(200, (int)getRun["summary"]!["status"]!);
        var events = await Client.EventsAsync((string)getRun["id"]!);
        Assert.Contains(events, e => (string)e!["kind"]! == "transcriptLine" && (string)e["text"]! == "GET /style.css HTTP/1.1");
        var view = events.Single(e => (string)e!["kind"]! == "httpResponseView")!;
        Assert.Equal(File.ReadAllText(Path.Combine(Factory.Services.GetRequiredService<Netlab.Labs.Core.LabEnvironment>().ContentRoot, "style.css")), (string)view["bodyPreview"]!);

        // The per-check time limit is there for broken servers; a loaded test machine gets a generous one.
        var grade = await Client.PostAsJsonAsync("/api/runs", new { probe = "http-grade", target = new { host = "127.0.0.1", port }, options = new { timeoutMs = 30_000 } });
        var gradeRun = await Client.WaitForRunAsync((string)(await grade.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        Assert.Equal(13, (double)gradeRun["summary"]!["score"]!);
        Assert.Equal(13, (double)gradeRun["summary"]!["maxScore"]!);
        var checks = (await Client.EventsAsync((string)gradeRun["id"]!)).Where(e => (string)e!["kind"]! == "check").ToList();
        Assert.Equal(8, checks.Count);
        Assert.All(checks, c => Assert.True((bool)c!["passed"]!, (string)c["actual"]!));
    }

    [Theory]
    [InlineData("no-slash")]
    [InlineData("/caf\u00e9.html")]
    [InlineData("/a b")]
    public async Task A_bad_path_option_is_400_naming_it(string path)
    {
        var response = await Client.PostAsJsonAsync("/api/runs", new { probe = "http-get", target = new { host = "127.0.0.1", port = 80 }, options = new { path } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["options.path"]);
    }

    [Fact]
    public async Task A_failed_exchange_ends_the_run_as_failed_with_the_reason()
    {
        using var holder = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)holder.LocalEndPoint!).Port; // bound, not listening: connection refused
        var response = await Client.PostAsJsonAsync("/api/runs", new { probe = "http-get", target = new { host = "127.0.0.1", port } });
        var run = await Client.WaitForRunAsync((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        Assert.Equal("Failed", (string)run["status"]!);
        Assert.Contains("Cannot talk to 127.0.0.1", (string)run["error"]!);
    }
}

public class DnsLabApiTests(SharedPortal portal) : PortalTest(portal)
{
    [Fact]
    public async Task Start_the_dns_server_query_it_and_reload_its_zone_through_the_api()
    {
        var labs = (await Client.GetFromJsonAsync<JsonArray>("/api/labs"))!;
        var dns = labs.Single(l => (string)l!["id"]! == "dns")!;
        var probeOptions = dns["probes"]!.AsArray().Single(p => (string)p!["kind"]! == "dns-query")!["options"]!.AsArray().Select(o => (string)o!["name"]!);
        Assert.Contains("name", probeOptions);
        Assert.Contains("type", probeOptions);

        var started = await Client.PostAsJsonAsync("/api/servers", new { lab = "dns", port = 0 });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var server = (await started.Content.ReadFromJsonAsync<JsonObject>())!;
        var port = (int)server["port"]!;

        var run = await Client.PostAsJsonAsync("/api/runs", new { probe = "dns-query", target = new { host = "127.0.0.1", port }, options = new { name = "www.netlab.test", type = "A" } });
        var done = await Client.WaitForRunAsync((string)(await run.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        Assert.Equal("Succeeded", (string)done["status"]!);
        Assert.Equal(2, (int)done["summary"]!["answers"]!);
        var events = await Client.EventsAsync((string)done["id"]!);
        Assert.Equal(["query", "response"], events.Where(e => (string)e!["kind"]! == "hexMessage").Select(e => (string)e!["label"]!));
        Assert.Contains(events, e => (string)e!["kind"]! == "logLine" && (string)e["text"]! == "www.netlab.test: type A, class IN, TTL 260, addr (4) 192.165.1.10");

        var reload = await Client.PostAsync($"/api/servers/{server["id"]}/reload", null);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        Assert.Contains("records for netlab.test", (string)(await reload.Content.ReadFromJsonAsync<JsonObject>())!["message"]!);
    }

    [Fact]
    public async Task Two_servers_zones_are_independent_and_the_shared_zone_file_is_never_written()
    {
        var sharedFile = Path.Combine(Factory.Services.GetRequiredService<Netlab.Labs.Core.LabEnvironment>().ContentRoot, "dns", "netlab.zone");
        var sharedBefore = await File.ReadAllBytesAsync(sharedFile);
        async Task<(string Id, int Port)> StartAsync()
        {
            var started = await Client.PostAsJsonAsync("/api/servers", new { lab = "dns", port = 0 });
            Assert.Equal(HttpStatusCode.Created, started.StatusCode);
            var server = (await started.Content.ReadFromJsonAsync<JsonObject>())!;
            return ((string)server["id"]!, (int)server["port"]!);
        }
        async Task<JsonObject> QueryAsync(int port, string name)
        {
            var run = await Client.PostAsJsonAsync("/api/runs", new { probe = "dns-query", target = new { host = "127.0.0.1", port }, options = new { name, type = "A" } });
            return await Client.WaitForRunAsync((string)(await run.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        }
        var (one, onePort) = await StartAsync();
        var (two, twoPort) = await StartAsync();

        var zone = await Client.GetStringAsync($"/api/servers/{one}/zone");
        Assert.Equal(Encoding.UTF8.GetString(sharedBefore), zone);
        var edited = zone + "student  60  A  192.0.2.77\n";
        var saved = await Client.PutAsync($"/api/servers/{one}/zone", new StringContent(edited, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Contains("records for netlab.test", (string)(await saved.Content.ReadFromJsonAsync<JsonObject>())!["message"]!);

        Assert.Equal(1, (int)(await QueryAsync(onePort, "student.netlab.test"))["summary"]!["answers"]!);
        Assert.Equal(3, (int)(await QueryAsync(twoPort, "student.netlab.test"))["summary"]!["rcode"]!); // NXDOMAIN on the other server
        Assert.Equal(edited, await Client.GetStringAsync($"/api/servers/{one}/zone"));
        Assert.Equal(zone, await Client.GetStringAsync($"/api/servers/{two}/zone"));

        // Reload reads the server's own copy (the edit stays); a mistake is a 400 naming its line and changes nothing.
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/api/servers/{one}/reload", null)).StatusCode);
        Assert.Equal(1, (int)(await QueryAsync(onePort, "student.netlab.test"))["summary"]!["answers"]!);
        var bad = await Client.PutAsync($"/api/servers/{one}/zone", new StringContent(edited + "broken  A  not-an-address\n", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("line", (string)(await bad.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!);
        Assert.Equal(edited, await Client.GetStringAsync($"/api/servers/{one}/zone"));

        Assert.Equal(sharedBefore, await File.ReadAllBytesAsync(sharedFile));
        var ping = await Client.StartServerAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.GetAsync($"/api/servers/{ping["id"]}/zone")).StatusCode);
    }

    [Theory]
    [InlineData("a..b.test")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test")] // a 64-byte label
    public async Task A_name_that_is_not_a_domain_name_is_400_naming_it(string name)
    {
        var response = await Client.PostAsJsonAsync("/api/runs", new { probe = "dns-query", target = new { host = "127.0.0.1", port = 53 }, options = new { name } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["options.name"]);
    }

    [Fact]
    public async Task A_zone_outside_the_content_root_and_reloading_a_server_without_content_are_400()
    {
        var bad = await Client.PostAsJsonAsync("/api/servers", new { lab = "dns", port = 0, options = new { zone = "../../../etc/hosts" } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("not in the content root", (string)(await bad.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!);

        var ping = await Client.StartServerAsync();
        var reload = await Client.PostAsync($"/api/servers/{ping["id"]}/reload", null);
        Assert.Equal(HttpStatusCode.BadRequest, reload.StatusCode);
    }
}

public class IcmpLabApiTests(SharedPortal portal) : PortalTest(portal)
{
    [Fact]
    public async Task Ping_and_traceroute_a_host_without_a_port()
    {
        var labs = (await Client.GetFromJsonAsync<JsonArray>("/api/labs"))!;
        var icmp = labs.Single(l => (string)l!["id"]! == "icmp")!;
        Assert.Null(icmp["server"]);
        Assert.Equal(["icmp-ping", "traceroute"], icmp["probes"]!.AsArray().Select(p => (string)p!["kind"]!));
        Assert.All(icmp["probes"]!.AsArray(), p => Assert.False((bool)p!["usesPort"]!));
        var options = icmp["probes"]![0]!["options"]!.AsArray().Select(o => (string)o!["name"]!);
        Assert.Equal(["count", "intervalMs", "timeoutMs", "size"], options);

        var ping = await Client.PostAsJsonAsync("/api/runs", new { probe = "icmp-ping", target = new { host = "localhost" }, options = new { count = 2, intervalMs = 200 } });
        Assert.Equal(HttpStatusCode.Accepted, ping.StatusCode);
        var done = await Client.WaitForRunAsync((string)(await ping.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        Assert.Equal("Succeeded", (string)done["status"]!);
        Assert.Equal(2, (int)done["summary"]!["received"]!);
        Assert.Equal("127.0.0.1", (string)done["targetAddress"]!);

        var trace = await Client.PostAsJsonAsync("/api/runs", new { probe = "traceroute", target = new { host = "127.0.0.1", port = 0 } });
        var traced = await Client.WaitForRunAsync((string)(await trace.Content.ReadFromJsonAsync<JsonObject>())!["id"]!);
        Assert.Equal(1, (int)traced["summary"]!["hops"]!);
    }

    [Fact]
    public async Task The_allow_list_applies_to_the_resolved_address_and_the_lab_has_no_server()
    {
        var denied = await Client.PostAsJsonAsync("/api/runs", new { probe = "icmp-ping", target = new { host = "192.0.2.1" } });
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var server = await Client.PostAsJsonAsync("/api/servers", new { lab = "icmp", port = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, server.StatusCode);
        Assert.Contains("has no server", (string)(await server.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!);
        var tooFast = await Client.PostAsJsonAsync("/api/runs", new { probe = "icmp-ping", target = new { host = "127.0.0.1" }, options = new { intervalMs = 10 } });
        Assert.Equal(HttpStatusCode.BadRequest, tooFast.StatusCode);
    }
}

public class HeartbeatLabApiTests(SharedPortal portal) : PortalTest(portal)
{
    [Fact]
    public async Task Pause_and_resume_a_heartbeat_client_and_read_the_servers_view_in_its_summary()
    {
        var started = await Client.PostAsJsonAsync("/api/servers", new { lab = "heartbeat", port = 0, options = new { stoppedAfterMs = 1000 } });
        var server = (await started.Content.ReadFromJsonAsync<JsonObject>())!;
        var run = await Client.PostAsJsonAsync("/api/runs", new { probe = "heartbeat-client", target = new { host = "127.0.0.1", port = (int)server["port"]! }, options = new { intervalMs = 50 } });
        var id = (string)(await run.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        async Task<JsonArray> ServerEventsAsync() => (await Client.GetFromJsonAsync<JsonArray>($"/api/servers/{server["id"]}/events"))!;
        static bool Has(JsonArray events, string kind, string? state = null) =>
            events.Any(e => (string)e!["kind"]! == kind && (state is null || (string)e["state"]! == state));

        await Eventually.UntilAsync(async () => Has(await ServerEventsAsync(), "heartbeatReceived"), "the server to hear the client");
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/api/runs/{id}/pause", null)).StatusCode);
        await Eventually.UntilAsync(async () => Has(await ServerEventsAsync(), "heartbeatGap", "Stopped"), "the server to declare the paused client stopped");
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/api/runs/{id}/resume", null)).StatusCode);
        await Eventually.UntilAsync(async () => Has(await ServerEventsAsync(), "heartbeatGap", "Resumed"), "the server to hear the resumed client");
        await Client.PostAsync($"/api/runs/{id}/cancel", null);
        var done = await Client.WaitForRunAsync(id);

        // A client without a count runs until it is stopped: stopping it is its normal end.
        Assert.Equal("Succeeded", (string)done["status"]!);
        Assert.Equal(0, (int)done["summary"]!["lost"]!);
        // The pause is an outage. The silence limit is wall-clock time, so a machine that stalls the
        // client for a second can add one; the summary never counts more than the server declared.
        var stops = (await ServerEventsAsync()).Count(e => (string)e!["kind"]! == "heartbeatGap" && (string)e["state"]! == "Stopped");
        Assert.InRange((int)done["summary"]!["outages"]!, 1, stops);

        // Only a running, pausable run can be paused.
        Assert.Equal(HttpStatusCode.Conflict, (await Client.PostAsync($"/api/runs/{id}/pause", null)).StatusCode);
        var ping = await Client.StartServerAsync();
        var pingRun = (string)(await Client.StartRunAsync((int)ping["port"]!, new { count = 10000, intervalMs = 100 }))["id"]!;
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.PostAsync($"/api/runs/{pingRun}/pause", null)).StatusCode);
    }
}
