using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;

namespace Netlab.Web.Tests;

/// <summary>
/// What only PostgreSQL has: portals sharing one database. (The rest of Netlab.Web.Tests runs here
/// too, on PostgreSQL; the Interrupted recovery after a kill -9 is PersistenceTests'.)
/// </summary>
public partial class PostgresTests
{
    [Fact]
    public async Task The_test_portals_really_store_in_their_own_postgres_database()
    {
        var data = NetlabFactory.NewDataDirectory();
        await using (var factory = new NetlabFactory(data))
        {
            var client = factory.CreateClient();
            var server = await client.StartServerAsync();
            var run = await client.StartRunAsync((int)server["port"]!, new { count = 2 });
            await client.WaitForRunAsync((string)run["id"]!);
        }
        Assert.False(File.Exists(Path.Combine(data, "netlab.db")));
        await using var connection = new NpgsqlConnection(PostgresCluster.Shared.ConnectionStringFor(data));
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("""SELECT count(*) FROM "Runs" WHERE "Status" = 'Succeeded'""", connection);
        Assert.Equal(1L, await count.ExecuteScalarAsync());
        await using var keys = new NpgsqlCommand("""SELECT count(*) FROM "DataProtectionKeys" """, connection);
        Assert.True((long)(await keys.ExecuteScalarAsync())! >= 1, "the data protection key is in the database");
    }

    [Fact]
    public async Task A_cookie_signed_in_on_one_portal_is_accepted_by_another_on_the_same_database_and_not_by_one_on_another()
    {
        var shared = NetlabFactory.NewDataDirectory();
        await using var first = await PortalProcess.StartAsync(shared);
        using var admin = first.CreateClient();
        var email = $"cookie-{Guid.NewGuid():N}@netlab.test";
        await TestAccounts.CreateUserAsync(admin, "Student", email, "cookie-password-1");

        var cookies = new CookieContainer();
        using (var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = first.Address })
        {
            var page = await browser.GetStringAsync("/account/login");
            var signIn = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value, ["_handler"] = "login",
                ["Input.Email"] = email, ["Input.Password"] = "cookie-password-1",
            }));
            Assert.True(signIn.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther, $"sign-in: {signIn.StatusCode}");
            Assert.Equal(email, (string)(await browser.GetFromJsonAsync<JsonObject>("/api/me"))!["email"]!);
        }

        // Another instance: its own data folder and port, the same database.
        await using var second = await PortalProcess.StartAsync(NetlabFactory.NewDataDirectory(), databaseOf: shared);
        Assert.Equal(email, (string)(await SignedIn(second, cookies).GetFromJsonAsync<JsonObject>("/api/me"))!["email"]!);

        // A portal with a database of its own has other keys: the same cookie means nothing there.
        await using var stranger = await PortalProcess.StartAsync(NetlabFactory.NewDataDirectory());
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignedIn(stranger, cookies).GetAsync("/api/me")).StatusCode);
    }

    /// <summary>A client of <paramref name="portal"/> sending the cookies signed in elsewhere (cookies ignore the port).</summary>
    private static HttpClient SignedIn(PortalProcess portal, CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = portal.Address };

    [Fact]
    public async Task Healthz_is_unhealthy_when_the_database_is_gone()
    {
        var data = NetlabFactory.NewDataDirectory();
        await using var factory = new NetlabFactory(data);
        var client = factory.CreateAnonymousClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);

        var database = new NpgsqlConnectionStringBuilder(PostgresCluster.Shared.ConnectionStringFor(data)).Database;
        await using (var connection = new NpgsqlConnection(PostgresCluster.Shared.ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE \"{database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        NpgsqlConnection.ClearAllPools();

        var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy", await health.Content.ReadAsStringAsync());
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
