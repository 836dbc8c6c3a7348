using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using Netlab.Web.Tests;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>
/// The page after the portal restarts: the client script (the .NET 9 blazor.web.js, see
/// build/BlazorWebScript.targets) must notice, offer to reload, and work again after the reload.
/// </summary>
public class ReconnectTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task After_a_portal_restart_the_page_reloads_and_is_interactive_again()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port; // chosen now, reused for the restart
        }
        var url = $"http://127.0.0.1:{port}";
        var data = NetlabFactory.NewDataDirectory();
        var page = await browser.NewPageAsync();

        await using (var portal = await PortalProcess.StartAsync(data, url))
        {
            await page.GotoAsync($"{url}/labs/udp-ping");
            await Expect(page.GetByTestId("server-start")).ToBeVisibleAsync();
            await portal.KillAsync();
        }
        // The circuit is gone: Blazor shows its reconnect dialog.
        // (Its content is in a shadow root, so the host element's style is what can be checked.)
        await Expect(page.Locator("#components-reconnect-modal")).ToHaveAttributeAsync("style", new System.Text.RegularExpressions.Regex("display: block"), new() { Timeout = 30_000 });

        await using var restarted = await PortalProcess.StartAsync(data, url);
        await page.ReloadAsync();
        await page.GetByTestId("server-start").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToContainTextAsync("Running on 127.0.0.1:");
    }
}
