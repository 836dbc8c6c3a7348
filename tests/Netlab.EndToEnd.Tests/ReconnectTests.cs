using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Netlab.Web.Tests;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>
/// The reconnect test kills and restarts a portal of its own (a separate process on its own data
/// folder), so it does not use the shared portal; it runs alone, after the shared collection, with
/// a Chromium of its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OwnPortal : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "Own portal process";
}

public sealed class ChromiumFixture : IAsyncLifetime
{
    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync() => (playwright, Browser) = await Chromium.LaunchAsync();

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        playwright?.Dispose();
    }
}

/// <summary>
/// The page after the portal restarts: .NET 10's blazor.web.js notices (the reconnect banner), the
/// page reloads by itself when the portal is back, and what the student typed is still there.
/// </summary>
[Collection(OwnPortal.Name)]
public class ReconnectTests(ChromiumFixture chromium) : IAsyncLifetime
{
    private IBrowserContext context = default!;

    public async Task InitializeAsync() => context = await Chromium.NewContextAsync(chromium.Browser);

    public Task DisposeAsync() => context.CloseAsync();

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
        var page = await context.NewPageAsync();

        var lossRate = page.Locator("input[data-testid=server-lossRate]");
        var count = page.Locator("input[data-testid=probe-count]");
        await using (var portal = await PortalProcess.StartAsync(data, url))
        {
            await Chromium.SignInAsync(page, new Uri(url), TestAccounts.AdminEmail, TestAccounts.AdminPassword);
            await page.GotoAsync($"{url}/labs/udp-ping");
            await Expect(page.GetByTestId("server-start")).ToBeVisibleAsync();
            // What the student typed before the portal went away (each change is kept in the tab's
            // session storage as it is made; wait for that, as the kill must come after it).
            async Task TypeAsync(ILocator field, string value, string form)
            {
                var before = await page.EvaluateAsync<string?>("key => sessionStorage.getItem(key)", form);
                await field.FillAsync(value);
                await field.PressAsync("Tab");
                await page.WaitForFunctionAsync("([key, before]) => sessionStorage.getItem(key) !== before", new[] { form, before });
            }
            await TypeAsync(lossRate, "0.55", "netlab-form:server:udp-ping");
            await TypeAsync(count, "7", "netlab-form:probe:udp-ping");
            await Expect(page.GetByTestId("probe-run")).ToBeEnabledAsync();
            await portal.KillAsync();
        }
        // The circuit is gone: the banner over the page says so, and the page stays readable under it.
        await Expect(page.GetByTestId("reconnect-banner")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("reconnect-banner")).ToContainTextAsync("Connection to the portal lost");

        // The portal comes back: its new process does not know the old circuit, so the page reloads
        // by itself, still signed in, with the form as the student left it.
        await using var restarted = await PortalProcess.StartAsync(data, url);
        await Expect(page.GetByTestId("reconnect-banner")).ToBeHiddenAsync();
        await Expect(lossRate).ToHaveValueAsync("0.55");
        await Expect(count).ToHaveValueAsync("7");
        await page.GetByTestId("server-start").ClickAsync();
        await Expect(page.GetByTestId("server-stop")).ToBeEnabledAsync(); // the start has returned
        await Expect(page.GetByTestId("server-state")).ToContainTextAsync("Running on 127.0.0.1:");
        // The restarted portal (and its server) end with this test: the process is killed on dispose.
    }
}
