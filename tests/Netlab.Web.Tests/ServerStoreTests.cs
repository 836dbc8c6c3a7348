using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Netlab.Web.Tests;

/// <summary>What a lab server observed is stored like a run's events: after a stop, paged, streamed live.</summary>
public class ServerStoreTests(SharedPortal portal) : PortalTest(portal)
{
    [Fact]
    public async Task A_stopped_server_keeps_its_record_and_events_and_stopping_or_reloading_it_again_is_409()
    {
        var server = await Client.StartServerAsync();
        var id = (string)server["id"]!;
        await Client.WaitForRunAsync((string)(await Client.StartRunAsync((int)server["port"]!, new { count = 5, timeoutMs = 500 }))["id"]!);
        await Eventually.UntilAsync(async () => (await ServerEventsAsync(id)).Count(e => (string)e!["kind"]! == "datagramSeen") == 5, "the five datagrams stored");

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/servers/{id}")).StatusCode);

        var stored = await Client.GetJsonAsync($"/api/servers/{id}");
        Assert.Equal("Stopped", (string)stored["state"]!);
        Assert.NotNull(stored["stoppedAt"]);
        Assert.Equal((int)server["port"]!, (int)stored["port"]!);
        var events = await ServerEventsAsync(id);
        Assert.Equal(5, events.Count(e => (string)e!["kind"]! == "datagramSeen"));
        Assert.Equal("Stopped", (string)events[^1]!["state"]!); // the stop itself is stored too
        Assert.Equal(events.Count, (int)stored["eventCount"]!);

        var again = await Client.DeleteAsync($"/api/servers/{id}");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already Stopped", (string)(await again.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!);
        Assert.Equal(HttpStatusCode.Conflict, (await Client.PostAsync($"/api/servers/{id}/reload", null)).StatusCode);

        // Listed as stored, not as running.
        Assert.DoesNotContain((await Client.GetFromJsonAsync<JsonArray>("/api/servers"))!, s => (string)s!["id"]! == id);
        Assert.Contains((await Client.GetFromJsonAsync<JsonArray>("/api/servers?all=true&lab=udp-ping"))!, s => (string)s!["id"]! == id);
        Assert.Contains((await Client.GetFromJsonAsync<JsonArray>("/api/servers?state=Stopped"))!, s => (string)s!["id"]! == id);
        Assert.DoesNotContain((await Client.GetFromJsonAsync<JsonArray>("/api/servers?state=Running"))!, s => (string)s!["id"]! == id);
        Assert.DoesNotContain((await Client.GetFromJsonAsync<JsonArray>("/api/servers?all=true&lab=dns"))!, s => (string)s!["id"]! == id);
    }

    [Fact]
    public async Task Stored_servers_are_listed_newest_first()
    {
        var first = (string)(await Client.StartServerAsync())["id"]!;
        var second = (string)(await Client.StartServerAsync())["id"]!;
        var listed = (await Client.GetFromJsonAsync<JsonArray>("/api/servers?all=true&limit=1000"))!.Select(s => (string)s!["id"]!).ToList();
        Assert.InRange(listed.IndexOf(second), 0, listed.IndexOf(first) - 1);
        Assert.Single((await Client.GetFromJsonAsync<JsonArray>("/api/servers?all=true&limit=1"))!);
    }

    [Fact]
    public async Task Paging_returns_every_event_once_in_order()
    {
        var server = await Client.StartServerAsync();
        var id = (string)server["id"]!;
        await Client.WaitForRunAsync((string)(await Client.StartRunAsync((int)server["port"]!, new { count = 40, timeoutMs = 500 }))["id"]!);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/servers/{id}")).StatusCode);
        var total = (int)(await Client.GetJsonAsync($"/api/servers/{id}"))["eventCount"]!;
        Assert.True(total > 40, $"{total} events");

        var paged = new List<long>();
        var after = 0L;
        while (true)
        {
            var page = (await Client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/events?afterSeq={after}&limit=7"))!;
            Assert.InRange(page.Count, 0, 7);
            paged.AddRange(page.Select(e => (long)e!["seq"]!));
            if (page.Count < 7) break;
            after = paged[^1];
        }
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), paged);
        Assert.Equal(total, (await ServerEventsAsync(id)).Count);

        Assert.Equal(HttpStatusCode.BadRequest, (await Client.GetAsync($"/api/servers/{id}/events?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.GetAsync($"/api/servers/{id}/events?limit=5001")).StatusCode);
    }

    [Fact]
    public async Task The_stream_of_a_running_server_replays_what_was_stored_then_sends_live_events_with_no_gap_or_duplicate()
    {
        var server = await Client.StartServerAsync();
        var id = (string)server["id"]!;
        var port = (int)server["port"]!;
        // More events than the live feed keeps (500): the stream must read the start from the store.
        await Client.WaitForRunAsync((string)(await Client.StartRunAsync(port, new { count = 700, timeoutMs = 500 }))["id"]!);

        using var response = await Client.GetAsync($"/api/servers/{id}/events/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var stop = new CancellationTokenSource();
        var streamed = new List<JsonObject>();
        var reading = Task.Run(async () =>
        {
            await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(stop.Token)).EnumerateAsync(stop.Token))
            {
                var e = JsonNode.Parse(item.Data)!.AsObject();
                Assert.Equal(item.EventType, (string)e["kind"]!);
                Assert.Equal(item.EventId, e["seq"]!.ToString());
                lock (streamed)
                    streamed.Add(e);
            }
        });
        int Seen() { lock (streamed) return streamed.Count(e => (string)e["kind"]! == "datagramSeen"); }
        await Eventually.UntilAsync(() => Seen() == 700, "the stored datagrams streamed");

        // Live: a second run's datagrams arrive while the stream is open.
        await Client.WaitForRunAsync((string)(await Client.StartRunAsync(port, new { count = 5, timeoutMs = 500 }))["id"]!);
        await Eventually.UntilAsync(() => Seen() == 705, "the live datagrams streamed");
        await stop.CancelAsync();
        await reading.ContinueWith(_ => { });

        List<long> seqs;
        lock (streamed)
            seqs = [.. streamed.Select(e => (long)e["seq"]!)];
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        Assert.Equal("Running", (string)(await Client.GetJsonAsync($"/api/servers/{id}"))["state"]!);
    }

    private async Task<JsonArray> ServerEventsAsync(string id) =>
        (await Client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/events?limit=5000"))!;
}

/// <summary>Retention and the per-server limit, each on a portal of its own (settings and clocks differ).</summary>
public class ServerRetentionTests
{
    [Fact]
    public async Task Runs_past_retention_go_with_their_events_graded_ones_stay_and_old_servers_take_their_folders_with_them()
    {
        var data = NetlabFactory.NewDataDirectory();
        string oldRun, gradedRun, oldServer;
        await using (var past = new NetlabFactory(data) { Configure = b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(new ShiftedClock(TimeSpan.FromDays(-400)))) })
        {
            var client = past.CreateClient();
            var server = await client.StartServerAsync();
            // An FTP server keeps files of its own (its copy of the content) in its folder.
            var ftp = await client.PostAsJsonAsync("/api/servers", new { lab = "ftp", port = 0 });
            oldServer = (string)(await ftp.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/servers/{(string)server["id"]!}")).StatusCode);
            oldRun = (string)(await client.StartRunAsync((int)server["port"]!, new { count = 1 }))["id"]!;
            gradedRun = (string)(await client.StartRunAsync((int)server["port"]!, new { count = 1 }))["id"]!;
            await client.WaitForRunAsync(oldRun);
            await client.WaitForRunAsync(gradedRun);
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/servers/{oldServer}")).StatusCode);
            // A submission graded by that run: what a grade rests on is kept.
            await using var db = await past.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Netlab.Data.NetlabDbContext>>().CreateDbContextAsync();
            var assignment = new Netlab.Data.AssignmentEntity { Id = Guid.NewGuid(), Title = "t", Lab = "udp-ping", Grader = "udp-ping-grade", OptionsJson = "{}" };
            db.Assignments.Add(assignment);
            db.Submissions.Add(new Netlab.Data.SubmissionEntity { Id = Guid.NewGuid(), AssignmentId = assignment.Id, StudentId = "s", StudentName = "S", RunId = Guid.Parse(gradedRun) });
            await db.SaveChangesAsync();
        }
        Assert.True(Directory.Exists(Path.Combine(data, "servers", oldServer)));

        await using var now = new NetlabFactory(data);
        var again = now.CreateClient();
        await Eventually.UntilAsync(async () => (await again.GetAsync($"/api/runs/{oldRun}")).StatusCode == HttpStatusCode.NotFound, "the old run to be deleted");
        Assert.Equal(HttpStatusCode.NotFound, (await again.GetAsync($"/api/runs/{oldRun}/events")).StatusCode);
        Assert.Equal("Succeeded", (string)(await again.GetJsonAsync($"/api/runs/{gradedRun}"))["status"]!);
        Assert.NotEmpty(await again.EventsAsync(gradedRun));
        Assert.Equal(HttpStatusCode.NotFound, (await again.GetAsync($"/api/servers/{oldServer}")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(data, "servers", oldServer)));
    }

    [Fact]
    public async Task Servers_that_ended_longer_ago_than_retention_are_deleted_with_their_events_at_start()
    {
        var data = NetlabFactory.NewDataDirectory();
        string old, recent;
        // A clock 40 days back: this server ended 40 days before the next portal starts.
        await using (var past = new NetlabFactory(data) { Configure = b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(new ShiftedClock(TimeSpan.FromDays(-40)))) })
        {
            var client = past.CreateClient();
            old = (string)(await client.StartServerAsync())["id"]!;
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/servers/{old}")).StatusCode);
        }
        // 20 days back: its own start-up purge (30 days before its clock) keeps the one from 40 days back.
        await using (var earlier = new NetlabFactory(data) { Configure = b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(new ShiftedClock(TimeSpan.FromDays(-20)))) })
        {
            var client = earlier.CreateClient();
            Assert.Equal("Stopped", (string)(await client.GetJsonAsync($"/api/servers/{old}"))["state"]!);
            recent = (string)(await client.StartServerAsync())["id"]!;
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/servers/{recent}")).StatusCode);
        }

        await using var now = new NetlabFactory(data);
        var again = now.CreateClient();
        await Eventually.UntilAsync(async () => (await again.GetAsync($"/api/servers/{old}")).StatusCode == HttpStatusCode.NotFound, "the old server to be deleted");
        Assert.Equal(HttpStatusCode.NotFound, (await again.GetAsync($"/api/servers/{old}/events")).StatusCode);
        Assert.Equal("Stopped", (string)(await again.GetJsonAsync($"/api/servers/{recent}"))["state"]!);
        Assert.NotEmpty((await again.GetFromJsonAsync<JsonArray>($"/api/servers/{recent}/events"))!);
    }

    [Fact]
    public async Task Past_the_per_server_limit_events_are_counted_as_dropped_not_stored()
    {
        await using var portal = new NetlabFactory { Configure = b => b.UseSetting("Netlab:Servers:MaxStoredEventsPerServer", "5") };
        var client = portal.CreateClient();
        var server = await client.StartServerAsync();
        var id = (string)server["id"]!;
        await client.WaitForRunAsync((string)(await client.StartRunAsync((int)server["port"]!, new { count = 10, timeoutMs = 500 }))["id"]!);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/servers/{id}")).StatusCode);

        var stored = await client.GetJsonAsync($"/api/servers/{id}");
        var events = (await client.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/events"))!;
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), events.Select(e => (long)e!["seq"]!));
        Assert.Equal(5, (int)stored["eventCount"]!);
        // At least the ten datagrams and the stop were seen but not stored.
        Assert.True((int)stored["droppedEvents"]! >= 6, $"{stored["droppedEvents"]} dropped");
    }

    private sealed class ShiftedClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}
