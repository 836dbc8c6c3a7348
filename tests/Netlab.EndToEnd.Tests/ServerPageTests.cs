using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>A server's own page (/servers/{id}) stops it, wherever it runs (with several instances, the one that owns it does).</summary>
public class ServerPageTests(PortalFixture fixture) : BrowserTest(fixture)
{
    [Fact]
    public async Task A_running_servers_page_stops_it_and_then_shows_it_stopped()
    {
        var created = await Api.PostAsJsonAsync("/api/servers", new { lab = "udp-ping", port = 0, options = new { lossRate = 0.0 } });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var id = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;

        await Page.GotoAsync($"/servers/{id}");
        await Expect(Page.GetByTestId("stored-server-state")).ToHaveTextAsync("Running");
        await Page.GetByTestId("stored-server-stop").ClickAsync();

        await Expect(Page.GetByTestId("stored-server-state")).ToHaveTextAsync("Stopped");
        await Expect(Page.GetByTestId("server-stopped-at")).Not.ToHaveTextAsync("still running");
        await Expect(Page.GetByTestId("stored-server-stop")).ToHaveCountAsync(0);
        Assert.Equal("Stopped", (string)(await Api.GetFromJsonAsync<JsonObject>($"/api/servers/{id}"))!["state"]!);
    }
}
