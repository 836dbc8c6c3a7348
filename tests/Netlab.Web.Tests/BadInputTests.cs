using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Netlab.Web.Tests;

/// <summary>Every bad request gets a clear ProblemDetails answer and changes nothing.</summary>
public class BadInputTests(SharedPortal portal) : PortalTest(portal)
{
    private async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal((int)status, (int)problem["status"]!);
        Assert.DoesNotContain("   at ", problem.ToJsonString()); // no stack trace
        return problem;
    }

    private HashSet<string> serversBefore = [];
    private string? newestRunBefore;

    /// <summary>What exists before the request (the portal is shared, and other tests leave stored runs).</summary>
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        serversBefore = await ServerIdsAsync();
        newestRunBefore = await NewestRunAsync();
    }

    private async Task<string?> NewestRunAsync() =>
        (string?)(await Client.GetFromJsonAsync<JsonArray>("/api/runs?limit=1"))!.SingleOrDefault()?["id"];

    /// <summary>No server was started and no run was stored (tests in the collection run one at a time).</summary>
    private async Task AssertNothingChangedAsync()
    {
        Assert.Equal(serversBefore, await ServerIdsAsync());
        Assert.Equal(newestRunBefore, await NewestRunAsync());
    }

    [Fact]
    public async Task Unknown_lab()
    {
        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/servers", new { lab = "gopher", port = 0 }), HttpStatusCode.BadRequest);
        Assert.Contains("gopher", (string)problem["detail"]!);
        Assert.Contains("udp-ping", (string)problem["detail"]!);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Unknown_probe()
    {
        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/runs", new { probe = "gopher", target = new { host = "127.0.0.1", port = 1 } }), HttpStatusCode.BadRequest);
        Assert.Contains("gopher", (string)problem["detail"]!);
        await AssertNothingChangedAsync();
    }

    [Theory]
    [InlineData("count", 0)]
    [InlineData("count", 10001)]
    [InlineData("timeoutMs", 0)]
    [InlineData("intervalMs", -1)]
    public async Task Probe_options_out_of_range_name_the_field(string field, int value)
    {
        var options = new JsonObject { [field] = value };
        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/runs",
            new { probe = "udp-ping", target = new { host = "127.0.0.1", port = 9 }, options }), HttpStatusCode.BadRequest);
        Assert.Contains(field, (string)problem["detail"]!);
        Assert.NotNull(problem["errors"]![$"options.{field}"]);
        await AssertNothingChangedAsync();
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    public async Task Loss_rate_outside_zero_to_one(double lossRate)
    {
        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/servers", new { lab = "udp-ping", port = 0, options = new { lossRate } }), HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["options.lossRate"]);
        Assert.Contains("lossRate", (string)problem["detail"]!);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Unknown_and_mistyped_options_are_errors_not_ignored()
    {
        var typo = await ProblemAsync(await Client.PostAsJsonAsync("/api/runs",
            new { probe = "udp-ping", target = new { host = "127.0.0.1", port = 9 }, options = new { cuont = 5 } }), HttpStatusCode.BadRequest);
        Assert.Contains("cuont", typo.ToJsonString());
        var wrongType = await ProblemAsync(await Client.PostAsJsonAsync("/api/servers",
            new { lab = "udp-ping", port = 0, options = new { lossRate = "lots" } }), HttpStatusCode.BadRequest);
        Assert.NotNull(wrongType["errors"]!["options.lossRate"]);
        var badEnum = await ProblemAsync(await Client.PostAsJsonAsync("/api/servers",
            new { lab = "udp-ping", port = 0, options = new { lossRule = "Sometimes" } }), HttpStatusCode.BadRequest);
        Assert.NotNull(badEnum["errors"]!["options.lossRule"]);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Malformed_json_body()
    {
        var response = await Client.PostAsync("/api/runs", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("as JSON", (string)problem["detail"]!);
        await AssertNothingChangedAsync();
    }

    [Theory]
    [InlineData("/api/runs?status=Bogus", "status")]
    [InlineData("/api/runs?limit=many", "limit")]
    public async Task Query_values_that_cannot_be_read_name_the_parameter(string url, string parameter)
    {
        var problem = await ProblemAsync(await Client.GetAsync(url), HttpStatusCode.BadRequest);
        Assert.Contains(parameter, (string)problem["detail"]!);
    }

    [Fact]
    public async Task A_port_that_is_not_a_number_says_so()
    {
        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/servers", new { lab = "http", port = "eighty" }), HttpStatusCode.BadRequest);
        Assert.Contains("port", (string)problem["detail"]!);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task Port_already_in_use_is_409_with_the_port()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)holder.LocalEndPoint!).Port;

        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/servers", new { lab = "udp-ping", port }), HttpStatusCode.Conflict);

        Assert.Equal(port, (int)problem["port"]!);
        Assert.Contains(port.ToString(), (string)problem["detail"]!);
        await AssertNothingChangedAsync();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public async Task Server_port_out_of_range(int port)
    {
        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/servers", new { lab = "udp-ping", port }), HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["port"]);
    }

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("192.0.2.1")]
    [InlineData("8.8.8.8")]
    public async Task A_target_outside_the_allowed_hosts_is_403_and_says_how_to_allow_it(string host)
    {
        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/runs",
            new { probe = "udp-ping", target = new { host, port = 12000 } }), HttpStatusCode.Forbidden);
        Assert.Contains(host, (string)problem["detail"]!);
        Assert.Contains("Netlab:Probes:AllowedHosts", (string)problem["detail"]!);
        await AssertNothingChangedAsync();
    }

    [Theory]
    [InlineData("127.0.0.1\u0000.evil.example")]
    [InlineData("localhost\r\nX-Injected: 1")]
    [InlineData("local host")]
    [InlineData("exa_mple..com")]
    public async Task A_target_host_with_control_characters_or_not_a_host_name_is_400(string host)
    {
        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/runs",
            new { probe = "http-get", target = new { host, port = 80 } }), HttpStatusCode.BadRequest);
        Assert.Contains("target.host must be a host name or an IP address", (string)problem["errors"]!["target.host"]![0]!);
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task A_name_that_is_not_listed_is_refused_without_resolving_it_or_telling_its_address()
    {
        // localhost resolves here (loopback is allowed); any other name is refused before a DNS query.
        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/runs",
            new { probe = "udp-ping", target = new { host = "netlab-test-name-that-must-not-be-resolved.example", port = 12000 } }), HttpStatusCode.Forbidden);
        Assert.Null(problem["address"]);
        Assert.Contains("; netlab-test-name-that-must-not-be-resolved.example is not one of them.", (string)problem["detail"]!);
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsJsonAsync("/api/runs",
            new { probe = "udp-ping", target = new { host = "localhost", port = 9 }, options = new { count = 1, timeoutMs = 50 } })).StatusCode);
    }

    [Fact]
    public async Task A_request_for_another_host_name_is_refused_so_a_dns_rebinding_page_cannot_reach_the_portal()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Host = "rebound.evil.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/healthz")).StatusCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(70000)]
    public async Task Target_port_out_of_range(int port)
    {
        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/runs",
            new { probe = "udp-ping", target = new { host = "127.0.0.1", port } }), HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["target.port"]);
    }

    [Fact]
    public async Task Missing_target()
    {
        var problem = await ProblemAsync(await Client.PostAsJsonAsync("/api/runs", new { probe = "udp-ping" }), HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["target"]);
    }

    [Theory]
    [InlineData("GET", "/api/runs/{0}")]
    [InlineData("GET", "/api/runs/{0}/events")]
    [InlineData("GET", "/api/runs/{0}/events/stream")]
    [InlineData("POST", "/api/runs/{0}/cancel")]
    [InlineData("GET", "/api/servers/{0}")]
    [InlineData("GET", "/api/servers/{0}/events")]
    [InlineData("DELETE", "/api/servers/{0}")]
    public async Task Unknown_ids_are_404(string method, string url)
    {
        var id = Guid.NewGuid();
        var problem = await ProblemAsync(await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), string.Format(url, id))), HttpStatusCode.NotFound);
        Assert.Contains(id.ToString(), (string)problem["detail"]!);
    }
}
