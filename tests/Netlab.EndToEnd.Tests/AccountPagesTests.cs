using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Netlab.Web.Tests;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>A portal started with no account at all, as the README's run command starts it.</summary>
[Collection(OwnPortal.Name)]
public class AccountPagesTests(ChromiumFixture chromium) : IAsyncLifetime
{
    private IBrowserContext context = default!;

    public async Task InitializeAsync() => context = await Chromium.NewContextAsync(chromium.Browser);

    public Task DisposeAsync() => context.CloseAsync();

    [Fact]
    public async Task The_first_visit_creates_the_administrator_who_can_then_sign_out_and_back_in()
    {
        await using var portal = await PortalProcess.StartAsync(NetlabFactory.NewDataDirectory(), bootstrap: false);
        var page = await context.NewPageAsync();

        // Any page leads to the set-up page while no account exists.
        await page.GotoAsync(new Uri(portal.Address, "/labs/udp-ping").ToString());
        await Expect(page).ToHaveURLAsync(new Regex("/setup$"));
        await page.GetByTestId("setup-name").FillAsync("Ada Admin");
        await page.GetByTestId("setup-email").FillAsync("ada@netlab.test");
        await page.GetByTestId("setup-password").FillAsync("short");
        await page.GetByTestId("setup-confirm").FillAsync("short");
        await page.GetByTestId("setup-submit").ClickAsync();
        await Expect(page.GetByText("The password needs at least 8 characters.")).ToBeVisibleAsync();

        await page.GetByTestId("setup-password").FillAsync("ada-password-1");
        await page.GetByTestId("setup-confirm").FillAsync("ada-password-1");
        await page.GetByTestId("setup-submit").ClickAsync();
        await Expect(page.GetByTestId("user-button")).ToContainTextAsync("Ada Admin");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Users" })).ToBeVisibleAsync();

        // Set-up is over: the page now sends people to the sign-in page instead.
        var second = await (await context.Browser!.NewContextAsync()).NewPageAsync();
        await second.GotoAsync(new Uri(portal.Address, "/setup").ToString());
        await Expect(second).ToHaveURLAsync(new Regex("/account/login$"));

        await page.GetByTestId("user-button").ClickAsync();
        await page.GetByTestId("logout").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/account/login$"));
        await page.GotoAsync(new Uri(portal.Address, "/runs").ToString());
        await Expect(page).ToHaveURLAsync(new Regex("/account/login\\?ReturnUrl=%2Fruns$"));

        await page.GetByTestId("login-email").FillAsync("ada@netlab.test");
        await page.GetByTestId("login-password").FillAsync("wrong-password");
        await page.GetByTestId("login-submit").ClickAsync();
        await Expect(page.GetByTestId("login-error")).ToHaveTextAsync("Wrong e-mail or password.");
        await page.GetByTestId("login-password").FillAsync("ada-password-1");
        await page.GetByTestId("login-submit").ClickAsync();
        // Back where they were going.
        await Expect(page).ToHaveURLAsync(new Regex("/runs$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Runs" })).ToBeVisibleAsync();

        // Their profile makes a key that works on the API at once.
        await page.GotoAsync(new Uri(portal.Address, "/account/profile").ToString());
        await page.GetByTestId("key-name").FillAsync("laptop");
        await page.GetByTestId("key-create").ClickAsync();
        var key = (await page.GetByTestId("key-secret").TextContentAsync())!.Trim();
        using var api = new HttpClient { BaseAddress = portal.Address };
        api.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Contains("ada@netlab.test", await api.GetStringAsync("/api/me"));
        await page.GetByTestId("key-revoke").ClickAsync();
        await Expect(page.GetByTestId("no-keys")).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/me")).StatusCode);
    }
}
