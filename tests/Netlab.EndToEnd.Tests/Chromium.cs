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
    public static async Task<IBrowserContext> NewContextAsync(IBrowser browser, Uri? baseAddress = null)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress?.ToString() });
        context.SetDefaultTimeout(Timeout);
        return context;
    }
}
