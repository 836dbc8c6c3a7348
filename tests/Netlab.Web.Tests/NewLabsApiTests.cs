using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Netlab.Web.Tests;

/// <summary>The time, echo, port-scan and tcp-console labs through the REST API, as a script uses them.</summary>
public class NewLabsApiTests(SharedPortal portal) : PortalTest(portal)
{
    private async Task<JsonObject> StartAsync(string lab, object options)
    {
        var response = await Client.PostAsJsonAsync("/api/servers", new { lab, port = 0, options });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private async Task<JsonObject> RunAsync(string probe, int port, object options)
    {
        var response = await Client.PostAsJsonAsync("/api/runs", new { probe, target = new { host = "127.0.0.1", port }, options });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        return await Client.WaitForRunAsync(id);
    }

    [Fact]
    public async Task Time_server_with_an_offset_and_the_time_sync_summary()
    {
        var server = await StartAsync("time", new { offsetMs = 2000, driftPpm = 0 });
        var run = await RunAsync("time-sync", (int)server["port"]!, new { count = 3, intervalMs = 0, timeoutMs = 5000 });
        Assert.Equal("Succeeded", (string)run["status"]!);
        var summary = run["summary"]!;
        var offset = (double)summary["offsetMs"]!;
        var error = (double)summary["errorMs"]!;
        Assert.InRange(offset, 2000 - error - 1, 2000 + error + 1);
        Assert.True((double)summary["rttMs"]! >= 0);
        var events = await Client.EventsAsync((string)run["id"]!);
        Assert.Equal(3, events.Count(e => (string)e!["kind"]! == "timeEstimate"));
        await Client.DeleteAsync($"/api/servers/{server["id"]}");
    }

    [Fact]
    public async Task Echo_over_udp_upper_cased_and_the_client_run_over_udp()
    {
        var server = await StartAsync("echo", new { transport = "udp", uppercase = true });
        var run = await RunAsync("echo-client", (int)server["port"]!, new { lines = "abc\ndef", transport = "udp" });
        Assert.Equal("Succeeded", (string)run["status"]!);
        Assert.Equal(2, (double)run["summary"]!["answered"]!);
        var chunks = (await Client.EventsAsync((string)run["id"]!)).Where(e => (string)e!["kind"]! == "echoChunk").Select(e => (string)e!["text"]!).ToList();
        Assert.Equal(["ABC\\n", "DEF\\n"], chunks);
        await Client.DeleteAsync($"/api/servers/{server["id"]}");
    }

    [Fact]
    public async Task A_port_scan_over_the_limit_is_a_400_naming_toPort_and_a_small_one_finds_an_open_port()
    {
        var tooBig = await Client.PostAsJsonAsync("/api/runs", new { probe = "port-scan", target = new { host = "127.0.0.1", port = 0 }, options = new { fromPort = 1, toPort = 5000 } });
        Assert.Equal(HttpStatusCode.BadRequest, tooBig.StatusCode);
        Assert.Contains("at most 1,024 ports", (string)(await tooBig.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["options.toPort"]![0]!);

        var outside = await Client.PostAsJsonAsync("/api/runs", new { probe = "port-scan", target = new { host = "192.0.2.1", port = 0 }, options = new { fromPort = 1, toPort = 10 } });
        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);

        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var run = await RunAsync("port-scan", 0, new { fromPort = port, toPort = port, timeoutMs = 2000 });
        Assert.Equal("Succeeded", (string)run["status"]!);
        Assert.Equal(1, (double)run["summary"]!["open"]!);
        var result = (await Client.EventsAsync((string)run["id"]!)).Single(e => (string)e!["kind"]! == "portResult")!;
        Assert.Equal(port, (int)result["port"]!);
        Assert.Equal("Open", (string)result["state"]!);
    }

    [Fact]
    public async Task A_tcp_console_opens_types_reads_and_closes_and_is_404_to_another_student()
    {
        var server = await StartAsync("echo", new { greeting = "You are connected" });
        var opened = await Client.PostAsJsonAsync("/api/tcp-consoles", new { host = "127.0.0.1", port = (int)server["port"]!, lineEnding = "Lf" });
        Assert.True(opened.StatusCode == HttpStatusCode.Created, await opened.Content.ReadAsStringAsync());
        var id = (string)(await opened.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;

        var sent = await Client.PostAsJsonAsync($"/api/tcp-consoles/{id}/lines", new { line = "hello" });
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var transcript = await Eventually.UntilAsync(async () => (await Client.GetFromJsonAsync<JsonArray>($"/api/tcp-consoles/{id}/events"))!,
            events => events!.Count(e => (string)e!["kind"]! == "transcriptLine" && (string)e["direction"]! == "ServerToClient") >= 2, "the greeting and the echo");
        var received = transcript!.Where(e => (string)e!["kind"]! == "transcriptLine" && (string)e["direction"]! == "ServerToClient").Select(e => (string)e!["text"]!).ToList();
        Assert.Equal(["You are connected", "hello"], received);
        Assert.All(transcript!, e => Assert.NotNull((string?)e!["timestamp"]));

        var tooLong = await Client.PostAsJsonAsync($"/api/tcp-consoles/{id}/lines", new { line = new string('x', 5000) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);

        var (_, studentKey) = await TestAccounts.CreateUserAsync(Client, "Student");
        using var student = Client.As(studentKey);
        Assert.Equal(HttpStatusCode.NotFound, (await student.GetAsync($"/api/tcp-consoles/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await student.PostAsJsonAsync($"/api/tcp-consoles/{id}/lines", new { line = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await student.DeleteAsync($"/api/tcp-consoles/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await student.PostAsJsonAsync("/api/tcp-consoles", new { host = "192.0.2.1", port = 25 })).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/tcp-consoles/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/api/tcp-consoles/{id}")).StatusCode);
        await Client.DeleteAsync($"/api/servers/{server["id"]}");
    }

    [Fact]
    public async Task A_student_may_have_three_tcp_consoles_open_and_the_fourth_is_a_429_naming_the_limit()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var (_, key) = await TestAccounts.CreateUserAsync(Client, "Student");
        using var student = Client.As(key);
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Created, (await student.PostAsJsonAsync("/api/tcp-consoles", new { host = "127.0.0.1", port })).StatusCode);
        var fourth = await student.PostAsJsonAsync("/api/tcp-consoles", new { host = "127.0.0.1", port });
        Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);
        Assert.Equal(3, (int)(await fourth.Content.ReadFromJsonAsync<JsonObject>())!["limit"]!);
        var mine = (await student.GetFromJsonAsync<JsonArray>("/api/tcp-consoles"))!;
        Assert.Equal(3, mine.Count);
        foreach (var console in mine)
            Assert.Equal(HttpStatusCode.NoContent, (await student.DeleteAsync($"/api/tcp-consoles/{console!["id"]}")).StatusCode);
        // Nothing listening: the console says so (502), and a bad line limit is a 400 naming the field.
        listener.Close();
        Assert.Equal(HttpStatusCode.BadGateway, (await student.PostAsJsonAsync("/api/tcp-consoles", new { host = "127.0.0.1", port })).StatusCode);
        var bad = await student.PostAsJsonAsync("/api/tcp-consoles", new { host = "127.0.0.1", port, maxLineBytes = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotNull((await bad.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["maxLineBytes"]);
    }

    [Fact]
    public async Task The_labs_list_the_new_labs_with_their_options()
    {
        var labs = (await Client.GetFromJsonAsync<JsonArray>("/api/labs"))!.Select(l => (string)l!["id"]!).ToList();
        Assert.Contains("time", labs);
        Assert.Contains("echo", labs);
        Assert.Contains("port-scan", labs);
        Assert.Contains("tcp-console", labs);
    }
}
