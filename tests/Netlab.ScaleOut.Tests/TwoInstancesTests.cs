using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Netlab.Web.Tests.ScaleOut;

/// <summary>
/// Two real portal processes (A and B) on their own ports and data folders, sharing a database on
/// the throwaway PostgreSQL cluster (<see cref="PostgresCluster"/>) and a throwaway redis-server,
/// as behind a load balancer. Started once for the collection.
/// </summary>
public sealed class TwoInstances : IAsyncLifetime
{
    public const int LeaseSeconds = 2;

    private readonly List<string> directories = [];

    public RedisServer Redis { get; private set; } = default!;
    public PortalProcess A { get; private set; } = default!;
    public PortalProcess B { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        // One after the other: the first creates the schema and the administrator, the second finds them.
        A = await StartInstanceAsync("portal-a");
        B = await StartInstanceAsync("portal-b");
    }

    /// <summary>Another instance on the same database (the first one's, on the PostgreSQL cluster) and Redis (for a test that kills it).</summary>
    public Task<PortalProcess> StartInstanceAsync(string name)
    {
        var directory = NetlabFactory.NewDataDirectory();
        directories.Add(directory);
        return PortalProcess.StartAsync(directory, databaseOf: directories[0], environment: new Dictionary<string, string>
        {
            ["Netlab__Redis"] = Redis.ConnectionString,
            ["Netlab__Instance__Name"] = name,
            ["Netlab__Instance__LeaseSeconds"] = LeaseSeconds.ToString(),
            ["Netlab__Limits__ServersPerUser"] = "2",
        });
    }

    public async Task DisposeAsync()
    {
        if (A is not null) await A.DisposeAsync();
        if (B is not null) await B.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        foreach (var directory in directories)
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class TwoInstancesCollection : ICollectionFixture<TwoInstances>
{
    public const string Name = "Two portal instances";
}

/// <summary>
/// What several instances promise (README, "Scale-out"): a run or a server lives in the instance
/// that started it, and every other instance lists it, follows it live (SSE and the hub) with
/// every event once and in order, and acts on it through the owner; a sign-in from one is valid
/// on the other; an instance killed with SIGKILL has its runs and servers marked Interrupted by
/// the others within its lease.
/// </summary>
[Collection(TwoInstancesCollection.Name)]
public sealed partial class TwoInstancesTests(TwoInstances portals)
{
    private static readonly TimeSpan Stuck = TimeSpan.FromSeconds(90);

    private HttpClient A => portals.A.CreateClient();
    private HttpClient B => portals.B.CreateClient();

    /// <summary>A new student, signed in with a key on A and on B: each test's servers count against its own limit only.</summary>
    private async Task<(HttpClient OnA, HttpClient OnB, string Key)> StudentAsync()
    {
        using var admin = A;
        var (_, key) = await TestAccounts.CreateUserAsync(admin, "Student");
        return (admin.As(key), portals.B.CreateClient().As(key), key);
    }

    private static void AssertSameEvents(JsonArray stored, IReadOnlyList<JsonNode> received)
    {
        Assert.NotEmpty(stored);
        Assert.Equal(stored.Select(e => (long)e!["seq"]!), received.Select(e => (long)e["seq"]!));
        Assert.Equal(stored.Select(e => e!.ToJsonString()), received.Select(e => e.ToJsonString()));
    }

    [Fact]
    public async Task A_run_started_on_A_is_listed_on_B_followed_live_by_SSE_there_and_cancelled_through_B()
    {
        var (a, b, _) = await StudentAsync();
        var server = await a.StartServerAsync();
        var id = (string)(await a.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 20 }))["id"]!;

        var seen = await b.GetJsonAsync($"/api/runs/{id}");
        Assert.Equal("Running", (string)seen["status"]!);
        Assert.StartsWith("portal-a-", (string)seen["instance"]!);
        Assert.Contains((await b.GetFromJsonAsync<JsonArray>("/api/runs?status=Running"))!, r => (string)r!["id"]! == id);

        using var timeout = new CancellationTokenSource(Stuck);
        var received = new List<JsonNode>();
        await foreach (var e in Sse.ReadAsync(b, $"/api/runs/{id}/events/stream", timeout.Token))
        {
            received.Add(e);
            if (received.Count == 30)
            {
                // Live through B, then cancelled through B: A carries the cancel out.
                var cancel = await b.PostAsync($"/api/runs/{id}/cancel", null, timeout.Token);
                Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
                Assert.StartsWith("portal-a-", cancel.Headers.GetValues("X-Netlab-Instance").Single());
            }
        }

        var ended = await b.GetJsonAsync($"/api/runs/{id}");
        Assert.Equal("Cancelled", (string)ended["status"]!);
        Assert.True(received.Count > 30);
        AssertSameEvents(await b.EventsAsync(id), received);
        await a.DeleteAsync($"/api/servers/{server["id"]}");
    }

    [Fact]
    public async Task A_hub_client_on_B_receives_the_events_of_a_run_on_A_by_JoinRun_and_StreamRun()
    {
        var (a, b, key) = await StudentAsync();
        var server = await a.StartServerAsync();
        var id = (string)(await a.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 20 }))["id"]!;

        var groupJoined = new TaskCompletionSource();
        var streamJoined = new TaskCompletionSource();
        var group = HubClient.RunAsync(portals.B.Address, "group", id, () => { groupJoined.TrySetResult(); return Task.CompletedTask; }, key);
        var stream = HubClient.RunAsync(portals.B.Address, "stream", id, () => { streamJoined.TrySetResult(); return Task.CompletedTask; }, key);
        // Both are following live (a first event arrived) before the run ends.
        await Task.WhenAll(groupJoined.Task, streamJoined.Task).WaitAsync(Stuck);
        Assert.Equal(HttpStatusCode.Accepted, (await b.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
        var (groupResult, streamResult) = (await group, await stream);

        var stored = await b.EventsAsync(id);
        AssertSameEvents(stored, streamResult.AsArray().Select(e => e!).ToList());
        // The group was joined after the run started: a gap-free tail of its events, to the end.
        Assert.Equal("Cancelled", (string)groupResult["ended"]!["status"]!);
        var tail = groupResult["events"]!.AsArray().Select(e => e!).ToList();
        Assert.NotEmpty(tail);
        AssertSameEvents([.. stored.Skip(stored.Count - tail.Count).Select(e => e!.DeepClone())], tail);
        await a.DeleteAsync($"/api/servers/{server["id"]}");
    }

    [Fact]
    public async Task A_server_started_on_A_is_listed_and_followed_on_B_and_stopped_through_B()
    {
        var (a, b, _) = await StudentAsync();
        var server = await a.StartServerAsync();
        var id = (string)server["id"]!;

        var running = await b.GetFromJsonAsync<JsonArray>("/api/servers");
        Assert.Contains(running!, s => (string)s!["id"]! == id && ((string)s["instance"]!).StartsWith("portal-a-"));

        using var timeout = new CancellationTokenSource(Stuck);
        var received = new List<JsonNode>();
        var first = new TaskCompletionSource();
        var following = Task.Run(async () =>
        {
            await foreach (var e in Sse.ReadAsync(b, $"/api/servers/{id}/events/stream", timeout.Token))
            {
                received.Add(e);
                first.TrySetResult();
            }
        });
        await Task.WhenAny(first.Task, following).WaitAsync(Stuck);
        Assert.False(following.IsFaulted, following.Exception?.ToString());
        // Traffic while B follows: the server (on A) records every datagram.
        var run = (string)(await a.StartRunAsync((int)server["port"]!, new { count = 5, intervalMs = 10 }))["id"]!;
        Assert.Equal("Succeeded", (string)(await a.WaitForRunAsync(run))["status"]!);

        var stop = await b.DeleteAsync($"/api/servers/{id}");
        Assert.Equal(HttpStatusCode.NoContent, stop.StatusCode);
        await following.WaitAsync(Stuck);

        Assert.Equal("Stopped", (string)(await a.GetJsonAsync($"/api/servers/{id}"))["state"]!);
        Assert.DoesNotContain((await a.GetFromJsonAsync<JsonArray>("/api/servers"))!, s => (string)s!["id"]! == id);
        var stored = (await b.GetFromJsonAsync<JsonArray>($"/api/servers/{id}/events"))!;
        AssertSameEvents(stored, received);
        Assert.Contains(stored, e => (string)e!["kind"]! == "datagramSeen");
        // Stopped now: asked again through B, the store answers (409), no instance is asked.
        Assert.Equal(HttpStatusCode.Conflict, (await b.DeleteAsync($"/api/servers/{id}")).StatusCode);
    }

    [Fact]
    public async Task A_sign_in_cookie_from_A_is_valid_on_B_and_a_browser_on_B_acts_on_a_run_on_A()
    {
        using var a = A;
        var email = $"cookie-{Guid.NewGuid():N}@netlab.test";
        var (_, key) = await TestAccounts.CreateUserAsync(a, "Student", email, "cookie-password-1");
        var cookies = new CookieContainer();
        using var browserA = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = portals.A.Address };
        var page = await browserA.GetStringAsync("/account/login");
        var signIn = await browserA.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value, ["_handler"] = "login", ["Input.Email"] = email, ["Input.Password"] = "cookie-password-1",
        }));
        Assert.True(signIn.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther, $"sign-in: {signIn.StatusCode}");

        // Cookies do not depend on the port: the same browser now talks to B.
        using var browserB = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = portals.B.Address };
        Assert.Equal(email, (string)(await browserB.GetJsonAsync("/api/me"))["email"]!);

        using var student = a.As(key);
        var server = await student.StartServerAsync();
        var id = (string)(await student.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 50 }))["id"]!;
        using var cancel = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{id}/cancel");
        cancel.Headers.Add("Origin", portals.B.Address.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.Accepted, (await browserB.SendAsync(cancel)).StatusCode);
        Assert.Equal("Cancelled", (string)(await student.WaitForRunAsync(id))["status"]!);
        await student.DeleteAsync($"/api/servers/{server["id"]}");
    }

    [Fact]
    public async Task The_servers_per_user_limit_counts_the_servers_of_every_instance()
    {
        using var a = A;
        using var b = B;
        var (_, key) = await TestAccounts.CreateUserAsync(a, "Student");
        using var onA = a.As(key);
        using var onB = b.As(key);
        var first = await onA.StartServerAsync();
        var second = await onB.StartServerAsync();

        var third = await onA.PostAsJsonAsync("/api/servers", new { lab = "udp-ping", port = 0, options = new { lossRate = 0.0 } });
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await onA.DeleteAsync($"/api/servers/{second["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await onA.PostAsJsonAsync("/api/servers", new { lab = "udp-ping", port = 0, options = new { lossRate = 0.0 } })).StatusCode);
        await onA.DeleteAsync($"/api/servers/{first["id"]}");
    }

    [Fact]
    public async Task A_tcp_console_opened_on_A_is_used_and_closed_through_B()
    {
        var (a, b, _) = await StudentAsync();
        var server = await a.PostAsJsonAsync("/api/servers", new { lab = "echo", port = 0, options = new { greeting = "You are connected" } });
        Assert.True(server.StatusCode == HttpStatusCode.Created, await server.Content.ReadAsStringAsync());
        var echo = (await server.Content.ReadFromJsonAsync<JsonObject>())!;
        var opened = await a.PostAsJsonAsync("/api/tcp-consoles", new { host = "127.0.0.1", port = (int)echo["port"]!, lineEnding = "Lf" });
        Assert.True(opened.StatusCode == HttpStatusCode.Created, await opened.Content.ReadAsStringAsync());
        var id = (string)(await opened.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;

        // The console's socket is in A; B relays every request for it there.
        var sent = await b.PostAsJsonAsync($"/api/tcp-consoles/{id}/lines", new { line = "hello" });
        Assert.True(sent.StatusCode == HttpStatusCode.OK, await sent.Content.ReadAsStringAsync());
        Assert.StartsWith("portal-a-", sent.Headers.GetValues("X-Netlab-Instance").Single());
        var transcript = await Eventually.UntilAsync(async () => (await b.GetFromJsonAsync<JsonArray>($"/api/tcp-consoles/{id}/events"))!,
            events => events!.Count(e => (string)e!["kind"]! == "transcriptLine" && (string)e["direction"]! == "ServerToClient") >= 2, "the greeting and the echo");
        Assert.Equal(["You are connected", "hello"], transcript!.Where(e => (string)e!["kind"]! == "transcriptLine" && (string)e["direction"]! == "ServerToClient").Select(e => (string)e!["text"]!));
        // Someone else is refused by the owner as by any instance: 404.
        var (_, otherKey) = await TestAccounts.CreateUserAsync(A, "Student");
        Assert.Equal(HttpStatusCode.NotFound, (await portals.B.CreateClient().As(otherKey).GetAsync($"/api/tcp-consoles/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await b.DeleteAsync($"/api/tcp-consoles/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/api/tcp-consoles/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await b.DeleteAsync($"/api/servers/{echo["id"]}")).StatusCode);
    }

    [Fact]
    public async Task Killing_an_instance_makes_its_runs_and_servers_Interrupted_within_its_lease_seen_through_B()
    {
        await using var c = await portals.StartInstanceAsync("portal-c");
        var (_, b, key) = await StudentAsync();
        using var onC = c.CreateClient().As(key);
        var server = await onC.StartServerAsync();
        var serverId = (string)server["id"]!;
        var id = (string)(await onC.StartRunAsync((int)server["port"]!, new { count = 10000, intervalMs = 20 }))["id"]!;
        var instance = (string)(await b.GetJsonAsync($"/api/runs/{id}"))["instance"]!;
        Assert.StartsWith("portal-c-", instance);

        using var timeout = new CancellationTokenSource(Stuck);
        var received = new List<JsonNode>();
        var killed = Stopwatch.StartNew();
        await foreach (var e in Sse.ReadAsync(b, $"/api/runs/{id}/events/stream", timeout.Token))
        {
            received.Add(e);
            if (received.Count == 10)
            {
                await c.KillAsync();
                killed.Restart();
            }
        }
        // The stream on B ended: B (or A) found C's lease expired and said so.
        var run = await b.GetJsonAsync($"/api/runs/{id}");
        Assert.Equal("Interrupted", (string)run["status"]!);
        Assert.Contains(instance, (string)run["error"]!);
        var stopped = await b.GetJsonAsync($"/api/servers/{serverId}");
        Assert.Equal("Interrupted", (string)stopped["state"]!);
        Assert.Contains(instance, (string)stopped["faultReason"]!);
        Assert.DoesNotContain((await b.GetFromJsonAsync<JsonArray>("/api/servers"))!, s => (string)s!["id"]! == serverId);
        // Every event C stored before it died, once and in order.
        AssertSameEvents(await b.EventsAsync(id), received);
        Assert.Equal((await b.EventsAsync(id)).Count, (int)run["eventCount"]!);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
