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
        await context.AddInitScriptAsync(UploadSignal);
        return context;
    }

    /// <summary>
    /// Blazor's InputFile reads a chosen file into the form asynchronously, and the page shows nothing
    /// when that is done (the Run button stays enabled meanwhile), so a click on Run right after
    /// choosing a file can start the run without it. This marks the input element once the read has
    /// finished: InputFile's JS calls NotifyChange on .NET, whose promise resolves only after the
    /// component's OnChange handler (the read) has completed. Tests wait for data-uploads-done.
    /// (Remove once the page itself shows the attached file; see the test-infra report.)
    /// </summary>
    private const string UploadSignal = """
        (() => {
          let blazor;
          Object.defineProperty(window, 'Blazor', {
            configurable: true,
            get() { return blazor; },
            set(value) {
              blazor = value;
              const inputFile = value && value._internal && value._internal.InputFile;
              if (!inputFile || inputFile.netlabWrapped) return;
              inputFile.netlabWrapped = true;
              const init = inputFile.init;
              inputFile.init = function (wrapper, element) {
                const invoke = wrapper.invokeMethodAsync.bind(wrapper);
                wrapper.invokeMethodAsync = function (name, ...args) {
                  const result = invoke(name, ...args);
                  if (name === 'NotifyChange') {
                    const count = key => String(Number(element.dataset[key] || 0) + 1);
                    element.dataset.uploadsStarted = count('uploadsStarted');
                    result.then(() => { element.dataset.uploadsDone = count('uploadsDone'); },
                                () => { element.dataset.uploadsFailed = count('uploadsFailed'); });
                  }
                  return result;
                };
                return init.call(this, wrapper, element);
              };
            },
          });
        })();
        """;
}
