<#
.SYNOPSIS
  Builds spoolgate for Windows and Linux (amd64 and arm64) with the version
  stamped in, after running the tests; signs the Windows executables with
  signtool when a certificate is given. No C compiler is needed.

.EXAMPLE
  .\build.ps1
      Runs go vet and the tests, then builds into dist\:
      spoolgate-windows-amd64.exe, spoolgate-windows-arm64.exe,
      spoolgate-linux-amd64, spoolgate-linux-arm64.

.EXAMPLE
  .\build.ps1 -Version 1.2.0 -CertFile code-signing.pfx -CertPassword (Read-Host -AsSecureString "PFX password")
      The same, stamped 1.2.0, with the .exe files signed and timestamped.

.EXAMPLE
  .\build.ps1 -SkipTests -Targets windows/amd64
      Only the Windows amd64 executable, without running the tests.
#>
[CmdletBinding()]
param(
    [string]$Version = "",
    [string]$OutDir = "dist",
    [string[]]$Targets = @("windows/amd64", "windows/arm64", "linux/amd64", "linux/arm64"),
    [switch]$SkipTests,
    [string]$CertFile = "",
    [SecureString]$CertPassword,
    [string]$TimestampUrl = "http://timestamp.digicert.com"
)

$ErrorActionPreference = "Stop"
Set-Location -Path $PSScriptRoot

function Invoke-Checked {
    param([string]$What, [scriptblock]$Block)
    & $Block
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)" }
}

if (-not (Get-Command go -ErrorAction SilentlyContinue)) {
    throw "Go is not installed or not on PATH: install Go 1.26 or newer."
}

if ($Version -eq "") {
    $Version = (git describe --tags --always --dirty 2>$null)
    if (-not $Version) { $Version = "dev" }
}

$env:CGO_ENABLED = "0"

if (-not $SkipTests) {
    Remove-Item Env:\GOOS -ErrorAction SilentlyContinue
    Remove-Item Env:\GOARCH -ErrorAction SilentlyContinue
    Invoke-Checked "go vet" { go vet ./... }
    Invoke-Checked "go test" { go test ./... }
}

if (-not (Test-Path $OutDir)) { New-Item -ItemType Directory -Path $OutDir | Out-Null }

$built = @()
foreach ($target in $Targets) {
    $parts = $target.Split("/")
    if ($parts.Count -ne 2) { throw "a target is OS/ARCH, e.g. windows/amd64; got '$target'" }
    $goos = $parts[0]
    $goarch = $parts[1]
    $name = "spoolgate-$goos-$goarch"
    if ($goos -eq "windows") { $name += ".exe" }
    $out = Join-Path $OutDir $name
    $env:GOOS = $goos
    $env:GOARCH = $goarch
    Invoke-Checked "go build $target" { go build -trimpath -ldflags "-s -w -X main.version=$Version" -o $out ./cmd/spoolgate }
    $built += $out
    Write-Host "built $out"
}
Remove-Item Env:\GOOS -ErrorAction SilentlyContinue
Remove-Item Env:\GOARCH -ErrorAction SilentlyContinue

if ($CertFile -ne "") {
    if (-not (Get-Command signtool -ErrorAction SilentlyContinue)) {
        throw "signtool is not on PATH: install the Windows SDK signing tools, or build without -CertFile."
    }
    $plain = ""
    if ($CertPassword) {
        $plain = [Runtime.InteropServices.Marshal]::PtrToStringAuto(
            [Runtime.InteropServices.Marshal]::SecureStringToBSTR($CertPassword))
    }
    foreach ($exe in ($built | Where-Object { $_.EndsWith(".exe") })) {
        Invoke-Checked "signing $exe" { signtool sign /f $CertFile /p $plain /fd SHA256 /tr $TimestampUrl /td SHA256 $exe }
        Write-Host "signed $exe"
    }
}

Write-Host "spoolgate ${Version}: $($built.Count) executable(s) in $OutDir"
