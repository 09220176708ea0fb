<#
.SYNOPSIS
  Builds spoolgate.exe for Windows (no C compiler needed) and, optionally,
  runs the tests and signs the executable.

.EXAMPLE
  .\build.ps1                       # builds dist\spoolgate.exe
  .\build.ps1 -Test                 # runs go vet and go test first
  .\build.ps1 -Version 1.2.0 -Sign -CertFile code.pfx -CertPassword (Read-Host -AsSecureString)
#>
[CmdletBinding()]
param(
    [string]$Version = "",
    [string]$Output = "dist\spoolgate.exe",
    [switch]$Test,
    [switch]$Sign,
    [string]$CertFile = "",
    [SecureString]$CertPassword
)

$ErrorActionPreference = "Stop"
Set-Location -Path $PSScriptRoot

if (-not (Get-Command go -ErrorAction SilentlyContinue)) {
    throw "Go is not installed or not on PATH: install Go 1.26 or newer from your software catalogue."
}

if ($Version -eq "") {
    $Version = (git describe --tags --always --dirty 2>$null)
    if (-not $Version) { $Version = "dev" }
}

$env:CGO_ENABLED = "0"
$env:GOOS = "windows"
$env:GOARCH = "amd64"

if ($Test) {
    go vet ./...
    if ($LASTEXITCODE -ne 0) { throw "go vet failed" }
    go test ./...
    if ($LASTEXITCODE -ne 0) { throw "tests failed" }
}

$dir = Split-Path -Parent $Output
if ($dir -and -not (Test-Path $dir)) { New-Item -ItemType Directory -Path $dir | Out-Null }

go build -trimpath -ldflags "-s -w -X main.version=$Version" -o $Output ./cmd/spoolgate
if ($LASTEXITCODE -ne 0) { throw "go build failed" }

if ($Sign) {
    if ($CertFile -eq "") { throw "-Sign needs -CertFile (a .pfx code-signing certificate)" }
    $plain = [Runtime.InteropServices.Marshal]::PtrToStringAuto(
        [Runtime.InteropServices.Marshal]::SecureStringToBSTR($CertPassword))
    signtool sign /f $CertFile /p $plain /fd SHA256 $Output
    if ($LASTEXITCODE -ne 0) { throw "signing failed" }
}

Write-Host "built $Output (version $Version)"
