# A package, so pytest puts the repository root on sys.path and the tests import the code under test.
