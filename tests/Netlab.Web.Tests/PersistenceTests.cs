using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Netlab.Web.Tests;

public class PersistenceTests
{
    [Fact]
    public async Task Runs_and_their_events_survive_a_restart_of_the_portal()
    {
        var dataDirectory = NetlabFactory.NewDataDirectory();
        string id;
        JsonArray eventsBefore;
        await using (var first = new NetlabFactory(dataDirectory))
        {
            var client = first.CreateClient();
            var server = await client.StartServerAsync(new { lossRate = 0.5, seed = 3 });
            id = (string)(await client.StartRunAsync((int)server["port"]!, new { count = 6, timeoutMs = 100 }))["id"]!;
            await client.WaitForRunAsync(id);
            eventsBefore = await client.EventsAsync(id);
        }
#if !POSTGRES
        Assert.True(File.Exists(Path.Combine(dataDirectory, "netlab.db")));
#endif

        await using var second = new NetlabFactory(dataDirectory);
        var again = second.CreateClient();
        var run = await again.GetJsonAsync($"/api/runs/{id}");
        Assert.Equal("Succeeded", (string)run["status"]!);
        Assert.Equal(6, (int)run["summary"]!["transmitted"]!);
        Assert.Equal(eventsBefore.ToJsonString(), (await again.EventsAsync(id)).ToJsonString());
        // The stream of a finished run replays what was stored, then ends.
        var stream = await again.GetStringAsync($"/api/runs/{id}/events/stream");
        Assert.Equal(eventsBefore.Count, stream.Split("\n").Count(l => l.StartsWith("data: ")));
    }

    [Fact]
    public async Task A_run_in_progress_when_the_process_is_killed_shows_as_interrupted_with_its_events()
    {
        var dataDirectory = NetlabFactory.NewDataDirectory();
        string id;
        await using (var portal = await PortalProcess.StartAsync(dataDirectory))
        {
            using var client = portal.CreateClient();
            var server = await client.StartServerAsync();
            id = (string)(await client.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 20 }))["id"]!;
            // Wait until some pings are stored, then kill -9.
            await Eventually.UntilAsync(async () => (await client.EventsAsync(id)).Count >= 10, "ten stored events");
            await portal.KillAsync();
        }

        await using var restarted = await PortalProcess.StartAsync(dataDirectory);
        using var again = restarted.CreateClient();
        var run = await again.GetJsonAsync($"/api/runs/{id}");
        Assert.Equal("Interrupted", (string)run["status"]!);
        Assert.Contains("stopped while this run was in progress", (string)run["error"]!);
        var events = await again.EventsAsync(id);
        Assert.True(events.Count >= 10, $"{events.Count} events kept");
        Assert.Equal(events.Count, (int)run["eventCount"]!);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => (long)e!["seq"]!));
        var interrupted = (await again.GetFromJsonAsync<JsonArray>("/api/runs?status=Interrupted"))!;
        Assert.Contains(interrupted, r => (string)r!["id"]! == id);
    }

    [Fact]
    public async Task A_servers_events_survive_its_stop_and_a_restart_of_the_portal()
    {
        var dataDirectory = NetlabFactory.NewDataDirectory();
        string id;
        JsonArray eventsBefore;
        await using (var portal = await PortalProcess.StartAsync(dataDirectory))
        {
            using var client = portal.CreateClient();
            var server = await client.StartServerAsync(new { lossRate = 0.5, seed = 3 });
            id = (string)server["id"]!;
            await client.WaitForRunAsync((string)(await client.StartRunAsync((int)server["port"]!, new { count = 6, timeoutMs = 100 }))["id"]!);
            Assert.Equal(System.Net.HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/servers/{id}")).StatusCode);
            eventsBefore = (await client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/events"))!;
        }

        await using var restarted = await PortalProcess.StartAsync(dataDirectory);
        using var again = restarted.CreateClient();
        var stored = await again.GetJsonAsync($"/api/servers/{id}");
        Assert.Equal("Stopped", (string)stored["state"]!);
        Assert.NotNull(stored["stoppedAt"]);
        Assert.Equal(0.5, (double)stored["options"]!["lossRate"]!);
        var events = (await again.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/events"))!;
        Assert.Equal(eventsBefore.ToJsonString(), events.ToJsonString());
        Assert.Equal(6, events.Count(e => (string)e!["kind"]! == "datagramSeen"));
        // The stream of a stopped server replays what was stored, then ends.
        var stream = await again.GetStringAsync($"/api/servers/{id}/events/stream");
        Assert.Equal(events.Count, stream.Split("\n").Count(l => l.StartsWith("data: ")));
    }

    [Fact]
    public async Task A_server_running_when_the_process_is_killed_shows_as_interrupted_with_its_events()
    {
        var dataDirectory = NetlabFactory.NewDataDirectory();
        string id;
        await using (var portal = await PortalProcess.StartAsync(dataDirectory))
        {
            using var client = portal.CreateClient();
            var server = await client.StartServerAsync();
            id = (string)server["id"]!;
            await client.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 20 });
            await Eventually.UntilAsync(async () => (await client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/events"))!.Count >= 10, "ten stored server events");
            await portal.KillAsync();
        }

        await using var restarted = await PortalProcess.StartAsync(dataDirectory);
        using var again = restarted.CreateClient();
        var stored = await again.GetJsonAsync($"/api/servers/{id}");
        Assert.Equal("Interrupted", (string)stored["state"]!);
        Assert.Contains("stopped while this server was running", (string)stored["faultReason"]!);
        Assert.NotNull(stored["stoppedAt"]);
        var events = (await again.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/events?limit=5000"))!;
        Assert.True(events.Count >= 10, $"{events.Count} events kept");
        Assert.Equal(events.Count, (int)stored["eventCount"]!);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => (long)e!["seq"]!));
        Assert.DoesNotContain((await again.GetFromJsonAsync<JsonArray>("/api/servers"))!, s => (string)s!["id"]! == id);
        Assert.Contains((await again.GetFromJsonAsync<JsonArray>("/api/servers?state=Interrupted"))!, s => (string)s!["id"]! == id);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, (await again.DeleteAsync($"/api/servers/{id}")).StatusCode);
    }

    [Fact]
    public async Task Every_message_that_got_250_is_in_the_mailbox_after_a_kill_9_mid_flood()
    {
        var dataDirectory = NetlabFactory.NewDataDirectory();
        string serverId;
        var acknowledged = new List<string>();
        await using (var portal = await PortalProcess.StartAsync(dataDirectory))
        {
            using var client = portal.CreateClient();
            var started = await client.PostAsJsonAsync("/api/servers", new { lab = "smtp", port = 0, options = new { startTls = false } });
            var server = (await started.Content.ReadFromJsonAsync<JsonObject>())!;
            serverId = (string)server["id"]!;
            await using var sender = SmtplibSender.Start((int)server["port"]!, count: 0);
            // Let a good number through, then kill -9 while the client is still sending.
            while (acknowledged.Count < 25 && await sender.ReadLineAsync() is { } reply)
                if (reply.StartsWith("250 "))
                    acknowledged.Add(SmtplibSender.QueuedId(reply));
            await portal.KillAsync();
            var rest = await sender.RestAsync();
            acknowledged.AddRange(rest.Where(r => r.StartsWith("250 ")).Select(SmtplibSender.QueuedId));
            Assert.StartsWith("ERROR", rest.LastOrDefault() ?? "ERROR"); // the flood ended because the server died
        }
        Assert.True(acknowledged.Count >= 25, $"{acknowledged.Count} acknowledged");

        // The portal comes back on the same data folder; the killed server's mailbox is in its storage directory.
        await using var restarted = await PortalProcess.StartAsync(dataDirectory);
        using var again = restarted.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/api/servers")).StatusCode);
        var mailbox = Netlab.Labs.Smtp.SmtpMailbox.OpenDirectory(Path.Combine(dataDirectory, "servers", serverId, "mailbox"));
        var kept = mailbox.List().Select(m => m.Id).ToHashSet();
        Assert.All(acknowledged, id => Assert.Contains(id, kept));
        foreach (var id in acknowledged)
        {
            var message = Netlab.Labs.Smtp.ReceivedMail.Parse(mailbox.Read(id)!);
            Assert.StartsWith("flood ", message.Subject);
            Assert.StartsWith("message number ", message.Text);
        }
    }

    [Fact]
    public async Task A_second_portal_on_the_same_data_folder_refuses_to_start_and_says_why()
    {
        var dataDirectory = NetlabFactory.NewDataDirectory();
        await using var first = await PortalProcess.StartAsync(dataDirectory);
        using var client = first.CreateClient();
        var server = await client.StartServerAsync();
        var run = (string)(await client.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 100 }))["id"]!;

        var refused = await Assert.ThrowsAsync<PortalExitedException>(() => PortalProcess.StartAsync(dataDirectory));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("Another Netlab portal is using the data folder", refused.Output);
        // The first portal's run was not taken for a crash's leftover.
        Assert.Equal("Running", (string)(await client.GetJsonAsync($"/api/runs/{run}"))["status"]!);
    }

    [Fact]
    public async Task A_portal_whose_port_is_in_use_says_so_in_one_line_with_no_stack_trace()
    {
        using var occupant = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((System.Net.IPEndPoint)occupant.LocalEndpoint).Port;
        var refused = await Assert.ThrowsAsync<PortalExitedException>(() => PortalProcess.StartAsync(NetlabFactory.NewDataDirectory(), $"http://127.0.0.1:{port}"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"Netlab cannot start: port {port} (http://127.0.0.1:{port}) is already in use.", refused.Output);
        Assert.DoesNotContain("   at ", refused.Output);
        Assert.DoesNotContain("Exception", refused.Output);
    }
}
