using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;

namespace Netlab.Web.Tests;

/// <summary>The portal-wide caps (a portal of its own with small ones), and deleting runs.</summary>
public sealed class LimitsTests : IAsyncLifetime
{
    private readonly NetlabFactory portal = new()
    {
        Configure = builder =>
        {
            builder.UseSetting("Netlab:Limits:Servers", "2");
            builder.UseSetting("Netlab:Limits:RunningProbes", "1");
            builder.UseSetting("Netlab:Limits:EventsPerRun", "50");
        },
    };

    // On a real port: the other users' clients (TestAccounts.As) are plain HttpClients.
    public Task InitializeAsync()
    {
        portal.UseKestrel(0);
        portal.StartServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await portal.DisposeAsync();

    [Fact]
    public async Task Past_the_portals_own_caps_servers_and_runs_answer_503_naming_the_limit_whoever_asks()
    {
        var admin = portal.CreateClient();
        var (_, key) = await TestAccounts.CreateUserAsync(admin, "Student");
        using var student = admin.As(key);
        var server = await admin.StartServerAsync();
        await student.StartServerAsync();

        var full = await student.PostAsJsonAsync("/api/servers", new { lab = "udp-ping", port = 0 });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, full.StatusCode);
        var problem = (await full.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(2, (int)problem["limit"]!);
        Assert.Contains("Netlab:Limits:Servers", (string)problem["detail"]!);

        var running = (string)(await student.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 100 }))["id"]!;
        var refused = await admin.PostAsJsonAsync("/api/runs", new { probe = "udp-ping", target = new { host = "127.0.0.1", port = (int)server["port"]! } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("Netlab:Limits:RunningProbes", await refused.Content.ReadAsStringAsync());

        // A running run cannot be deleted; once over, its owner deletes it and it is gone.
        Assert.Equal(HttpStatusCode.Conflict, (await student.DeleteAsync($"/api/runs/{running}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await student.PostAsync($"/api/runs/{running}/cancel", null)).StatusCode);
        await student.WaitForRunAsync(running);
        var (_, otherKey) = await TestAccounts.CreateUserAsync(admin, "Student");
        using var other = admin.As(otherKey);
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync($"/api/runs/{running}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await student.DeleteAsync($"/api/runs/{running}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/runs/{running}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/runs/{running}/events")).StatusCode);
    }

    [Fact]
    public async Task A_run_that_emits_more_events_than_one_run_may_store_is_stopped_and_failed_with_the_reason()
    {
        var admin = portal.CreateClient();
        var server = await admin.StartServerAsync();
        // 1,000 pings with no wait: far more than the 50 events this portal lets a run store.
        var id = (string)(await admin.StartRunAsync((int)server["port"]!, new { count = 1000, intervalMs = 0 }))["id"]!;
        var run = await admin.WaitForRunAsync(id);
        Assert.Equal("Failed", (string)run["status"]!);
        Assert.Contains("more than 50 events", (string)run["error"]!);
        Assert.Equal(50, (int)run["eventCount"]!);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), (await admin.EventsAsync(id)).Select(e => (long)e!["seq"]!));
    }
}
