content from file users.php
