using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Netlab.Web.Tests;

/// <summary>What a user types as a password is never answered back or stored: server accounts and probe passwords.</summary>
public sealed class SecretsTests(SharedPortal portal) : PortalTest(portal)
{
    [Theory]
    [InlineData("smtp", "alice:wonderland,bob:hunter2")]
    [InlineData("ftp", "alice:wonderland,bob:hunter2")]
    public async Task Server_accounts_are_shown_and_stored_with_their_passwords_masked(string lab, string accounts)
    {
        var started = await Client.PostAsJsonAsync("/api/servers", new { lab, port = 0, options = new { accounts } });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var id = (string)(await started.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/api/servers/{id}")).StatusCode);

        foreach (var answer in new[] { await started.Content.ReadAsStringAsync(), await Client.GetStringAsync($"/api/servers/{id}"),
                     await Client.GetStringAsync("/api/servers?all=true"), await Client.GetStringAsync($"/api/servers/{id}/events") })
        {
            Assert.DoesNotContain("wonderland", answer);
            Assert.DoesNotContain("hunter2", answer);
        }
        Assert.Equal("alice:****,bob:****", (string)(await Client.GetJsonAsync($"/api/servers/{id}"))["options"]!["accounts"]!);
    }

    [Fact]
    public async Task The_ftp_clients_password_is_not_kept_in_the_run()
    {
        var response = await Client.PostAsJsonAsync("/api/runs", new
        {
            probe = "ftp-client", target = new { host = "127.0.0.1", port = 9 }, options = new { user = "alice", password = "s3cret-pass", commands = "pwd" },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        await Client.WaitForRunAsync(id);
        Assert.Equal("****", (string)(await Client.GetJsonAsync($"/api/runs/{id}"))["options"]!["password"]!);
        Assert.DoesNotContain("s3cret-pass", await Client.GetStringAsync($"/api/runs/{id}/events"));
    }
}
