using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Netlab.Web.Tests;

/// <summary>The portal in-process, with its own SQLite folder (reused to test a restart).</summary>
public sealed class NetlabFactory(string? dataDirectory = null) : WebApplicationFactory<Program>
{
    public string DataDirectory { get; } = dataDirectory ?? NewDataDirectory();

    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "netlab-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Extra test-only setup (e.g. a circuit handler the browser tests observe).</summary>
    public Action<IWebHostBuilder>? Configure { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Netlab:DataDirectory", DataDirectory);
        builder.UseEnvironment("Testing");
        // Circuit exceptions reach the browser console, where a failing browser test can show them.
        builder.UseSetting("DetailedErrors", "true");
        Configure?.Invoke(builder);
    }
}

public static class Api
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<JsonObject> StartServerAsync(this HttpClient client, object? options = null, int port = 0)
    {
        var response = await client.PostAsJsonAsync("/api/servers", new { lab = "udp-ping", port, options = options ?? new { lossRate = 0.0 } });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static async Task<JsonObject> StartRunAsync(this HttpClient client, int port, object options, string host = "127.0.0.1")
    {
        var response = await client.PostAsJsonAsync("/api/runs", new { probe = "udp-ping", target = new { host, port }, options });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static async Task<JsonObject> GetJsonAsync(this HttpClient client, string url) =>
        (await client.GetFromJsonAsync<JsonObject>(url))!;

    /// <summary>Polls a run until it is no longer Running (tests poll; the browser never does).</summary>
    public static Task<JsonObject> WaitForRunAsync(this HttpClient client, string id) =>
        Eventually.UntilAsync(() => client.GetJsonAsync($"/api/runs/{id}"), run => (string)run["status"]! != "Running", $"run {id} to end",
            TimeSpan.FromSeconds(60));

    public static async Task<JsonArray> EventsAsync(this HttpClient client, string id) =>
        (await client.GetFromJsonAsync<JsonArray>($"/api/runs/{id}/events"))!;
}
