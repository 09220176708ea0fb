-- What wixl 0.101 cannot express from packaging/spoolgate.wxs, set in the MSI it
-- builds by .ci/package with msibuild -q, one statement a line (lines starting
-- with -- are comments). WiX (build.ps1 -Package) takes all of it from the .wxs.
--
-- The ServiceRestart component (which starts the service) on an upgrade only.
UPDATE `Component` SET `Condition` = 'WIX_UPGRADE_DETECTED' WHERE `Component` = 'ServiceRestart'
-- %ProgramData%\spoolgate is permanent (Permanent="yes": msidbComponentAttributesPermanent).
UPDATE `Component` SET `Attributes` = 276 WHERE `Component` = 'DataFolder'
-- The old version is removed before the new one is installed (MajorUpgrade
-- Schedule="afterInstallInitialize"): its service stopped and deleted, then the
-- new one registered.
UPDATE `InstallExecuteSequence` SET `Sequence` = 1501 WHERE `Action` = 'RemoveExistingProducts'
-- The starter config is written in the deferred script, after the files (wixl
-- ignores After="InstallFiles" and puts it after InstallFinalize).
UPDATE `InstallExecuteSequence` SET `Sequence` = 4010 WHERE `Action` = 'WriteStarterConfig'
UPDATE `InstallExecuteSequence` SET `Sequence` = 4020 WHERE `Action` = 'PrepareFolders'
-- The installation folder at the end of the system PATH, removed on uninstall
-- (<Environment Name="PATH" Value="[INSTALLDIR]" Action="set" Part="last" System="yes" />).
CREATE TABLE `Environment` (`Environment` CHAR(72) NOT NULL, `Name` CHAR(255) NOT NULL LOCALIZABLE, `Value` CHAR(255) LOCALIZABLE, `Component_` CHAR(72) NOT NULL PRIMARY KEY `Environment`)
INSERT INTO `Environment` (`Environment`, `Name`, `Value`, `Component_`) VALUES ('Path', '=-*PATH', '[~];[INSTALLDIR]', 'Program')
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('RemoveEnvironmentStrings', 3300)
INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('WriteEnvironmentStrings', 5200)
