using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Netlab.Web.Tests;

/// <summary>
/// /hubs/runs from a real external client: the npm @microsoft/signalr package driven by node
/// (tests/hub-client; `npm ci` there is part of .ci/run).
/// </summary>
public class HubTests(SharedPortal portal) : PortalTest(portal)
{
    private static string HubClientDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "tests", "hub-client")))
            dir = dir.Parent;
        var path = Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("tests/hub-client not found above " + AppContext.BaseDirectory), "tests", "hub-client");
        Assert.True(Directory.Exists(Path.Combine(path, "node_modules", "@microsoft", "signalr")),
            "Run `npm ci` in tests/hub-client first (.ci/run does).");
        return path;
    }

    /// <summary>Runs the node client; its stdout is JSON lines: progress notes, then the result.</summary>
    private async Task<JsonNode> RunNodeAsync(string mode, string runId, Func<Task>? whenJoined = null, string? key = TestAccounts.AdminKey)
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = HubClientDirectory(), RedirectStandardOutput = true, RedirectStandardError = true };
        if (key is not null)
            info.Environment["NETLAB_API_KEY"] = key;
        info.ArgumentList.Add("hub-client.mjs");
        info.ArgumentList.Add(Client.BaseAddress!.ToString());
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add(runId);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        JsonNode? result = null;
        // The client gives up by itself after a minute, so this loop always ends.
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            var node = JsonNode.Parse(line)!;
            if (node is JsonObject note && note["joined"] is not null)
            {
                if (whenJoined is not null) await whenJoined();
            }
            else
            {
                result = node;
            }
        }
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await error);
        return result ?? throw new InvalidOperationException("the hub client printed no result: " + await error);
    }

    [Fact]
    public async Task StreamRun_delivers_every_event_of_a_live_run_in_order()
    {
        var server = await Client.StartServerAsync(new { lossRate = 0.3, seed = 8 });
        var id = (string)(await Client.StartRunAsync((int)server["port"]!, new { count = 15, timeoutMs = 100, intervalMs = 50 }))["id"]!;

        var streamed = (await RunNodeAsync("stream", id)).AsArray();

        Assert.Equal((await Client.EventsAsync(id)).ToJsonString(), streamed.ToJsonString());
        Assert.Equal(15, streamed.Count(e => (string)e!["kind"]! == "rttSample"));
    }

    [Fact]
    public async Task Joining_a_run_group_receives_its_new_events_and_its_end()
    {
        // A run that lasts until it is cancelled, so it is still going when the client has joined
        // (node takes a while to start on a loaded machine), and ends only after that.
        var server = await Client.StartServerAsync();
        var id = (string)(await Client.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 50 }))["id"]!;

        var result = await RunNodeAsync("group", id, whenJoined: async () =>
            Assert.Equal(System.Net.HttpStatusCode.Accepted, (await Client.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode));

        Assert.Equal("Cancelled", (string)result["ended"]!["status"]!);
        var received = result["events"]!.AsArray().Select(e => (long)e!["seq"]!).ToList();
        var stored = (await Client.EventsAsync(id)).Select(e => (long)e!["seq"]!).ToList();
        // Joined after the run started: a gap-free tail of the run's events, up to the summary,
        // in "events" batches carrying exactly the stored JSON.
        Assert.NotEmpty(received);
        Assert.Equal(stored.TakeLast(received.Count), received);
        Assert.Equal("summary", (string)result["events"]!.AsArray()[^1]!["kind"]!);
        Assert.Equal(new JsonArray([.. (await Client.EventsAsync(id)).TakeLast(received.Count).Select(e => e!.DeepClone())]).ToJsonString(), result["events"]!.ToJsonString());
        Assert.InRange((int)result["messages"]!, 1, received.Count);
    }

    [Fact]
    public async Task Joining_a_run_that_has_already_ended_tells_the_client_at_once()
    {
        var server = await Client.StartServerAsync();
        var id = (string)(await Client.StartRunAsync((int)server["port"]!, new { count = 2 }))["id"]!;
        await Client.WaitForRunAsync(id);

        var result = await RunNodeAsync("group", id);

        Assert.Equal("Succeeded", (string)result["ended"]!["status"]!);
        Assert.Empty(result["events"]!.AsArray()); // nothing new: the run was over before the join
    }

    [Fact]
    public async Task Joining_an_unknown_run_is_an_error_the_client_sees()
    {
        var id = Guid.NewGuid().ToString();
        var result = await RunNodeAsync("group", id);
        Assert.Contains($"No run with id {id}", (string)result["error"]!);
    }

    [Fact]
    public async Task A_student_follows_their_own_run_over_the_hub_but_not_another_students_and_no_key_is_refused()
    {
        var (_, alice) = await TestAccounts.CreateUserAsync(Client, "Student");
        var (_, bob) = await TestAccounts.CreateUserAsync(Client, "Student");
        var server = await Client.StartServerAsync();
        using var asAlice = Client.As(alice);
        var id = (string)(await asAlice.StartRunAsync((int)server["port"]!, new { count = 3 }))["id"]!;
        await Client.WaitForRunAsync(id);

        var own = (await RunNodeAsync("stream", id, key: alice)).AsArray();
        Assert.Equal((await Client.EventsAsync(id)).ToJsonString(), own.ToJsonString());

        // Someone else's run does not exist for Bob, over the stream and the group alike.
        Assert.Contains($"No run with id {id}", (string)(await RunNodeAsync("stream", id, key: bob))["error"]!);
        Assert.Contains($"No run with id {id}", (string)(await RunNodeAsync("group", id, key: bob))["error"]!);
        // Without a key the hub refuses the connection itself.
        Assert.Contains("401", (string)(await RunNodeAsync("stream", id, key: null))["error"]!);
    }
}
