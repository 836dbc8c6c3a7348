using Microsoft.Playwright;

namespace Netlab.EndToEnd.Tests;

/// <summary>
/// Debian's Chromium driven by Playwright (never a downloaded browser: `apt-get install chromium`,
/// done by .ci/run), with one generous time limit for actions, navigations and expectations alike.
/// </summary>
public static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>
    /// How long an action or an expectation may wait for the page (ms). A guard against hanging, not
    /// a speed requirement: a loaded 2-core machine can stall a circuit for seconds.
    /// </summary>
    public const float Timeout = 30_000;

    static Chromium() => Assertions.SetDefaultExpectTimeout(Timeout);

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        Assert.True(File.Exists(ExecutablePath), $"{ExecutablePath} is missing: apt-get install chromium (.ci/run does).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Timeout = Timeout,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return (playwright, browser);
    }

    /// <summary>A fresh context (cookies, storage, pages of its own) with the shared time limit.</summary>
    public static async Task<IBrowserContext> NewContextAsync(IBrowser browser, Uri? baseAddress = null, string? storageState = null)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress?.ToString(), StorageState = storageState });
        context.SetDefaultTimeout(Timeout);
        return context;
    }

    /// <summary>Signs in through the portal's own sign-in page, as a person does; the page then shows the labs.</summary>
    public static async Task SignInAsync(IPage page, Uri portal, string email, string password)
    {
        await page.GotoAsync(new Uri(portal, "/account/login").ToString());
        await page.GetByTestId("login-email").FillAsync(email);
        await page.GetByTestId("login-password").FillAsync(password);
        await page.GetByTestId("login-submit").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.GetByTestId("user-button")).ToBeVisibleAsync();
    }

    /// <summary>The cookies of a browser signed in as this user, for contexts that start signed in.</summary>
    public static async Task<string> SignedInStateAsync(IBrowser browser, Uri portal, string email, string password)
    {
        await using var context = await NewContextAsync(browser, portal);
        var page = await context.NewPageAsync();
        await SignInAsync(page, portal, email, password);
        var state = await context.StorageStateAsync();
        // Leave the signed-in page first: its unload sends Blazor's disconnect beacon, so its
        // circuit ends now rather than lingering into the circuit count a test waits on.
        await page.GotoAsync("about:blank");
        return state;
    }
}
