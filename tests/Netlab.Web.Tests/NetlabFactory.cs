using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Netlab.Web.Tests;

/// <summary>
/// The portal in-process, with its own data folder (reused to test a restart) and so its own database:
/// SQLite in that folder, or (built with POSTGRES) a database of the tests' PostgreSQL cluster named after it.
/// </summary>
public sealed class NetlabFactory(string? dataDirectory = null) : WebApplicationFactory<Program>
{
    public string DataDirectory { get; } = dataDirectory ?? NewDataDirectory();

    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "netlab-tests", Guid.NewGuid().ToString("N"));

    /// <summary>The data folder whose database this portal uses (on PostgreSQL, another portal's: instances share one); its own by default.</summary>
    public string? DatabaseOf { get; init; }

    /// <summary>Extra test-only setup (e.g. a circuit handler the browser tests observe).</summary>
    public Action<IWebHostBuilder>? Configure { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Netlab:DataDirectory", DataDirectory);
        foreach (var (key, value) in TestDatabase.Settings(DatabaseOf ?? DataDirectory))
            builder.UseSetting(key, value);
        // Every test portal has its administrator from the start (Netlab:Bootstrap), and every
        // client of it signs in with the administrator's key unless a test asks for another user.
        builder.UseSetting("Netlab:Bootstrap:AdminEmail", TestAccounts.AdminEmail);
        builder.UseSetting("Netlab:Bootstrap:AdminPassword", TestAccounts.AdminPassword);
        builder.UseSetting("Netlab:Bootstrap:AdminApiKey", TestAccounts.AdminKey);
        builder.UseEnvironment("Testing");
        // Circuit exceptions reach the browser console, where a failing browser test can show them.
        builder.UseSetting("DetailedErrors", "true");
        Configure?.Invoke(builder);
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Add("X-Api-Key", TestAccounts.AdminKey);
    }

    /// <summary>A client with no credentials at all.</summary>
    public HttpClient CreateAnonymousClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Remove("X-Api-Key");
        return client;
    }
}

/// <summary>The database settings of a test portal: none on SQLite (the file in its data folder), its own PostgreSQL database with POSTGRES.</summary>
public static class TestDatabase
{
    public static IReadOnlyDictionary<string, string> Settings(string dataDirectory) =>
#if POSTGRES
        new Dictionary<string, string>
        {
            ["Netlab:Database:Provider"] = "Postgres",
            ["ConnectionStrings:Netlab"] = PostgresCluster.Shared.ConnectionStringFor(dataDirectory),
        };
#else
        new Dictionary<string, string>();
#endif
}

/// <summary>The accounts test portals start with, and making more through the real API.</summary>
public static class TestAccounts
{
    public const string AdminEmail = "admin@netlab.test";
    public const string AdminPassword = "admin-password-1";
    public const string AdminKey = "nlk_test-admin-key-0123456789abcdefghij";

    /// <summary>The environment a portal process needs for the same administrator.</summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["Netlab__Bootstrap__AdminEmail"] = AdminEmail,
        ["Netlab__Bootstrap__AdminPassword"] = AdminPassword,
        ["Netlab__Bootstrap__AdminApiKey"] = AdminKey,
    };

    /// <summary>Creates a user through POST /api/users (as <paramref name="admin"/>) and a key for them; returns the user's id and key.</summary>
    public static async Task<(string Id, string Key)> CreateUserAsync(HttpClient admin, string role, string? email = null, string? password = null)
    {
        email ??= $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}@netlab.test";
        var created = await admin.PostAsJsonAsync("/api/users", new { email, name = $"{role} {email[..12]}", role, password });
        Assert.True(created.StatusCode == System.Net.HttpStatusCode.Created, $"creating {email}: {created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var id = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        var key = await admin.PostAsJsonAsync($"/api/users/{id}/api-keys", new { name = "test" });
        Assert.Equal(System.Net.HttpStatusCode.Created, key.StatusCode);
        return (id, (string)(await key.Content.ReadFromJsonAsync<JsonObject>())!["key"]!);
    }

    /// <summary>A client of the same portal that sends another key (or none).</summary>
    public static HttpClient As(this HttpClient client, string? key)
    {
        var other = new HttpClient { BaseAddress = client.BaseAddress };
        if (key is not null)
            other.DefaultRequestHeaders.Add("X-Api-Key", key);
        return other;
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
